// Package kernels benchmarks the writer's encoding kernels side by side with
// parquet-go's on the same inputs.
package kernels
