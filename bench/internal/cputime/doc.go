// Package cputime gives the benchmarks of the bench module one way to read
// the CPU time of the process, so that cpu-ns metrics are measured alike
// everywhere.
package cputime
