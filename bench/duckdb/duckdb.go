// Package duckdb runs DuckDB (the npm package @duckdb/node-api, installed
// in this folder by scripts/setup.sh) from Go tests and benchmarks, through
// the small node script run.mjs: DuckDB is the independent reader of our
// blocks and the peer of the JSON lines → Parquet benchmark.
package duckdb

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
	"strings"
)

// ErrUnavailable says node or the DuckDB package is not installed.
var ErrUnavailable = errors.New("duckdb: node or @duckdb/node-api is not installed (run scripts/setup.sh)")

// Dir is the folder of run.mjs and node_modules.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Available reports whether node and the DuckDB package are installed.
func Available() error {
	if _, err := exec.LookPath("node"); err != nil {
		return ErrUnavailable
	}
	if _, err := os.Stat(filepath.Join(Dir(), "node_modules", "@duckdb", "node-api")); err != nil {
		return ErrUnavailable
	}
	return nil
}

// Result is what one statement returned.
type Result struct {
	Ms    float64          `json:"ms"`     // wall time DuckDB took, start-up excluded
	CPUMs float64          `json:"cpu_ms"` // CPU time of all its threads meanwhile
	Rows  []map[string]any `json:"rows"`
}

// Output is what a Run returned.
type Output struct {
	Version string   `json:"version"`
	Results []Result `json:"results"`
}

// Run executes the statements in one fresh in-memory DuckDB with the given
// number of threads. Numbers in rows are json.Number; BIGINT and larger
// come back as strings.
func Run(ctx context.Context, threads int, statements ...string) (*Output, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	req, err := json.Marshal(map[string]any{"threads": threads, "queries": statements})
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(Dir(), "run.mjs"))
	cmd.Dir = Dir()
	cmd.Stdin = bytes.NewReader(req)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("duckdb: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	var out Output
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("duckdb: reading the script's output: %v", err)
	}
	if len(out.Results) != len(statements) {
		return nil, fmt.Errorf("duckdb: %d results for %d statements", len(out.Results), len(statements))
	}
	return &out, nil
}

// Quote quotes a string as an SQL literal.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Ident quotes a name as an SQL identifier.
func Ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
