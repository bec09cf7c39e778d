package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestServe runs the service from the built command: flags and EVODB_TOKEN
// reach the server, batches are acknowledged, SIGTERM shuts it down
// gracefully with everything acknowledged committed.
func TestServe(t *testing.T) {
	if !canExec(t) {
		t.Skip(noBinary) // signals and a listening process
	}
	dir := t.TempDir()
	cmd := exec.Command(binPath, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--flush-interval", "1h", "--log-format", "json",
		"--flush-bytes", "32MiB") // the old name of --flush-input-bytes still works
	cmd.Env = append(os.Environ(), "EVODB_TOKEN=s3cret")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The first log record of the command names the address it listens on.
	lines := bufio.NewScanner(stderr)
	var url string
	var log []string
	for url == "" && lines.Scan() {
		log = append(log, lines.Text())
		var rec struct {
			Msg        string `json:"msg"`
			URL        string `json:"url"`
			FlushInput int64  `json:"flush_input_bytes"`
		}
		if json.Unmarshal(lines.Bytes(), &rec) == nil && rec.Msg == "evodb-writer serve" {
			url = rec.URL
			if rec.FlushInput != 32<<20 {
				t.Errorf("--flush-bytes 32MiB: the server flushes at %d input bytes", rec.FlushInput)
			}
		}
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(url) {
		t.Fatalf("no listening address in the log:\n%s", strings.Join(log, "\n"))
	}
	logDone := make(chan []string)
	go func() {
		var rest []string
		for lines.Scan() {
			rest = append(rest, lines.Text())
		}
		logDone <- rest
	}()

	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("X-Evodb-Producer", "app-1")
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := do("GET", "/healthz", "", ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	if code, body := do("POST", "/v1/tables/orders/cdc", "wrong", plainRows(0, 10)); code != 401 {
		t.Errorf("wrong token: %d %s", code, body)
	}
	var batch strings.Builder
	for i := range 300 {
		batch.WriteString(`{"op":"INSERT","data":{"id":` + itoa(i) + `},"lsn":` + itoa(i+1) + "}\n")
	}
	code, body := do("POST", "/v1/tables/orders/cdc", "s3cret", batch.String())
	if code != 200 || !strings.Contains(body, `"app-1":300`) {
		t.Fatalf("batch: %d %s", code, body)
	}

	// SIGTERM: graceful shutdown commits the buffered batch (the flush
	// interval is an hour), exit status 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest := <-logDone
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		errors.As(err, &ee)
		t.Fatalf("serve after SIGTERM: %v\n%s", err, strings.Join(append(log, rest...), "\n"))
	}
	table := filepath.Join(dir, "data", "tables", "orders")
	snap := snapshotOf(t, table)
	if _, rows, _ := tableTotals(t, snap); rows != 300 {
		t.Errorf("table has %d rows after shutdown, want 300", rows)
	}
	if v, _ := snap.TxnVersion("app-1"); v != 300 {
		t.Errorf("app-1 committed up to %d, want 300", v)
	}
	// And the command line reads what the service wrote.
	r := ok(t, runOpts{}, "inspect", "--table", table, "--json")
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Rows != 300 || rep.Producers["app-1"] != 300 {
		t.Errorf("inspect of the served table: %+v %v", rep.Totals, rep.Producers)
	}
}

func TestServeFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--mode", "big"}, 2, `--mode "big"`},
		{[]string{"serve", "--log-format", "xml"}, 2, `--log-format "xml"`},
		{[]string{"serve", "--max-body", "lots"}, 2, "invalid size"},
		{[]string{"serve", "--high-water", "1MiB", "--low-water", "2MiB"}, 2, "must be below --high-water"},
		{[]string{"serve", "--table-root", "ftp://x/y"}, 2, `unknown scheme "ftp"`},
		{[]string{"serve", "--addr", "127.0.0.1:99999", "--data-dir", dir}, 1, "--addr 127.0.0.1:99999"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--token", "a", "--token-file", filepath.Join(dir, "t")}, 1, "not both"},
	}
	for _, tt := range tests {
		r := evw(t, runOpts{}, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q on one line", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}

// TestServeFlushInputBytes: --flush-input-bytes (and EVODB_FLUSH_INPUT_BYTES)
// sets the flush size in input bytes, --flush-bytes is its old name, and
// the help says which bytes they count.
func TestServeFlushInputBytes(t *testing.T) {
	r := ok(t, runOpts{}, "serve", "--help")
	for _, want := range []string{"--flush-input-bytes", "not the Parquet bytes", "--flush-bytes", "old name of --flush-input-bytes", "EVODB_FLUSH_INPUT_BYTES"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, args := range [][]string{{"--flush-input-bytes", "lots"}, {"--flush-bytes", "lots"}} {
		r := evw(t, runOpts{}, append([]string{"serve"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, args[0][2:]) {
			t.Errorf("serve %v: exit %d, %q; want exit 2 naming the flag", args, r.code, r.stderr)
		}
	}
}
