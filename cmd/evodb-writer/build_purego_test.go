//go:build purego

package main

func init() { buildFlags = append(buildFlags, "-tags", "purego") }
