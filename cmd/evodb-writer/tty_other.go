//go:build !linux

package main

import "os"

// isTerminal reports false off Linux: the progress bar is not drawn.
func isTerminal(*os.File) bool { return false }

func terminalWidth(*os.File) int { return 0 }
