package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/evodb/writer/manifest"
	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
)

// The tests run the built command: TestMain builds it once (with -race or
// -tags purego when the test binary has them) and the tests execute it.

// buildFlags are extra go build flags (build_*_test.go add -race, purego).
var buildFlags []string

var (
	binDir   string
	binPath  string
	binOnce  sync.Once
	binError error
	// noBinary says why the built command cannot run here; commands then
	// run in-process (see evw).
	noBinary string
)

func TestMain(m *testing.M) {
	code := m.Run()
	uploadtest.StopSharedGateway()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds the command once, on first use (so that -list and
// fuzzing runs do not pay for it), or says why it cannot be run.
func buildBinary() {
	host, err := exec.Command("go", "env", "GOHOSTARCH", "GOHOSTOS").Output()
	if err != nil {
		binError = fmt.Errorf("go env: %v", err)
		return
	}
	f := strings.Fields(string(host))
	if len(f) != 2 || f[0] != runtime.GOARCH || f[1] != runtime.GOOS {
		// The test binary runs under an emulator (qemu-user for arm64):
		// the built command would be for the same foreign architecture and
		// the kernel could not execute it without binfmt_misc.
		noBinary = fmt.Sprintf("the command would be built for %s/%s on a %s host and cannot be executed without binfmt_misc; commands run in-process here, the native runs execute the binary",
			runtime.GOOS, runtime.GOARCH, strings.Join([]string{f[1], f[0]}, "/"))
		return
	}
	if binDir, err = os.MkdirTemp("", "evodb-writer-cmd-"); err != nil {
		binError = err
		return
	}
	binPath = filepath.Join(binDir, "evodb-writer")
	args := append([]string{"build", "-o", binPath}, buildFlags...)
	args = append(args, ".")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		binError = fmt.Errorf("go build of the command: %v\n%s", err, out)
	}
}

// canExec reports whether the built command can run; it fails the test
// when building it failed.
func canExec(t *testing.T) bool {
	t.Helper()
	binOnce.Do(buildBinary)
	if binError != nil {
		t.Fatal(binError)
	}
	return noBinary == ""
}

type result struct {
	stdout, stderr string
	code           int
}

type runOpts struct {
	stdin string
	env   []string // KEY=VALUE added to a copy of the environment without EVODB_*
}

// evw runs the built command. Where it cannot be executed (under qemu-user)
// the same command line runs in this process instead, through run, with
// the environment given to getenv: the library code is then still checked
// on that architecture.
func evw(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	if !canExec(t) {
		return inProcess(t, o, args)
	}
	cmd := exec.Command(binPath, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EVODB_") && !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, o.env...)
	cmd.Stdin = strings.NewReader(o.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{stdout.String(), stderr.String(), code}
}

// ok runs the command and fails the test unless it exits 0.
func ok(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	r := evw(t, o, args...)
	if r.code != 0 {
		t.Fatalf("evodb-writer %s: exit %d\nstderr: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

func decodeSummary(t *testing.T, text string) loadSummary {
	t.Helper()
	var s loadSummary
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		t.Fatalf("summary %q: %v", text, err)
	}
	return s
}

// snapshotOf reads a local table's latest snapshot directly.
func snapshotOf(t *testing.T, dir string) *manifest.Snapshot {
	t.Helper()
	store, err := upload.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := manifest.Open(store, "", manifest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tableTotals sums rows and bytes of a snapshot's files.
func tableTotals(t *testing.T, s *manifest.Snapshot) (files int, rows, size int64) {
	t.Helper()
	for _, f := range s.Files() {
		st, err := f.ParseStats()
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		rows += st.NumRecords
		size += f.Size
		files++
	}
	return files, rows, size
}

// plainRows returns n JSON objects without an envelope, one per line.
func plainRows(start, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"id":%d,"name":"user-%d","score":%d.5,"tags":["a","b"]}`+"\n", start+i, start+i, i%100)
	}
	return b.String()
}

func inProcess(t *testing.T, o runOpts, args []string) result {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range o.env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Skip("AWS_* settings need the built command: " + noBinary)
		}
		vars[k] = v
	}
	// GOMAXPROCS, which the built command's runtime would take from its
	// environment, is set in this process for the command's run.
	if v, ok := vars["GOMAXPROCS"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GOMAXPROCS=%q: want a positive number", v)
		}
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	}
	var stdout, stderr bytes.Buffer
	e := &env{
		stdin:  strings.NewReader(o.stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return vars[k] },
	}
	code := run(context.Background(), e, args)
	return result{stdout.String(), stderr.String(), code}
}
