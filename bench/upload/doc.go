// Package upload benchmarks the project's multipart uploader against a
// single plain PutObject of the same bytes and against aws-sdk-go-v2's
// transfer manager, all to a versitygw server on loopback.
//
//	go test -run '^$' -bench Upload -count 6 ./upload/ | tee upload.txt
//	benchstat -col /how upload.txt
//
// -upload.large adds 512 MiB objects to the default 64 MiB.
package upload
