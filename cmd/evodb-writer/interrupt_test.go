package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadInterrupted: SIGINT stops a load that waits on stdin; what was
// committed stays, the summary says so, the exit status is 130.
func TestLoadInterrupted(t *testing.T) {
	if !canExec(t) {
		t.Skip(noBinary)
	}
	table := filepath.Join(t.TempDir(), "t")
	cmd := exec.Command(binPath, "load", "--table", table, "--batch-rows", "500", "--json", "--log-level", "debug")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if _, err := stdin.Write([]byte(plainRows(0, 1000))); err != nil {
		t.Fatal(err)
	}
	// Wait for the writer's log of its two flushes; stdin stays open.
	lines := bufio.NewScanner(stderr)
	var log []string
	for flushes := 0; flushes < 2 && lines.Scan(); {
		log = append(log, lines.Text())
		if strings.Contains(lines.Text(), `msg="writer: flush"`) {
			flushes++
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		log = append(log, lines.Text())
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130; stderr:\n%s", err, strings.Join(log, "\n"))
	}
	last := log[len(log)-1]
	if !strings.Contains(last, "interrupted: stopped at stdin line 1001; what came before it is committed (version 2)") {
		t.Errorf("last stderr line %q", last)
	}
	s := decodeSummary(t, stdout.String())
	if s.Rows != 1000 || s.Version != 2 {
		t.Errorf("summary %+v, want 1000 rows at version 2", s)
	}
	if _, rows, _ := tableTotals(t, snapshotOf(t, table)); rows != 1000 {
		t.Errorf("table has %d rows, want 1000", rows)
	}
}
