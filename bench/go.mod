module github.com/evodb/writer/bench

go 1.26

replace github.com/evodb/writer => ../

require (
	github.com/evodb/writer v0.0.0
	github.com/google/go-cmp v0.7.0
	github.com/parquet-go/parquet-go v0.32.0
)

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	github.com/parquet-go/bitpack v1.1.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
