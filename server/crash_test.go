package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash test runs the server as a child process (this test binary run
// again with crashChildEnv set), sends it batches from several producers,
// kills it with SIGKILL at a random moment, starts it again, and so on.
// At the end it checks the table: every acknowledged LSN is there exactly
// once, and every batch is there whole or not at all.

const crashChildEnv = "EVODB_SERVER_CRASH_DIR"

// TestCrashChild is the child process of TestCrashRecovery.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("the server process of TestCrashRecovery; runs only as its child")
	}
	cfg := crashConfig(dir)
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: New:", err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	fmt.Printf("READY %s\n", ln.Addr())
	if err := s.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "child: Serve:", err)
		os.Exit(4)
	}
	fmt.Println("CLEAN")
	os.Exit(0)
}

// crashConfig is the child's configuration: small flushes and segments,
// so that kills land in every phase (logging, flushing, committing,
// truncating).
func crashConfig(dir string) Config {
	return Config{
		DataDir:         filepath.Join(dir, "data"),
		TableRoot:       "file://" + filepath.ToSlash(filepath.Join(dir, "tables")),
		Token:           testToken,
		FlushInterval:   20 * time.Millisecond,
		FlushEntries:    300,
		WALSegmentBytes: 16 << 10,
		openTable:       crashTableOpener,
	}
}

// syncBuffer is a bytes.Buffer safe for the child's stderr copier.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type child struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncBuffer
}

// startChild starts the server process on dir and waits for its address.
func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	stderr := new(syncBuffer)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, syscall.ENOEXEC) {
			t.Skipf("cannot run the test binary as a child process here (%v; under qemu-user without binfmt)", err)
		}
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: stderr}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			c.addr = addr
			break
		}
	}
	if c.addr == "" {
		cmd.Wait()
		t.Fatalf("the server process did not start: %s", stderr.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return c
}

// crashProducer is one producer's view: batch k holds the LSNs
// k*crashBatch+1 .. (k+1)*crashBatch; it sends batches in order and goes
// back to the first unacknowledged one after a crash.
type crashProducer struct {
	name  string
	next  int   // the next batch to send
	acked int64 // the highest LSN acknowledged
	sent  int   // batches ever sent: 0 .. sent-1
}

const crashBatch = 40

func (p *crashProducer) run(client *http.Client, url string, maxBatches int) error {
	if p.acked > 0 {
		// LSN 0 was never sent: it lies in the gap below the first
		// batch, and must be refused, not acknowledged, after any number
		// of commits and restarts.
		req, _ := http.NewRequest("POST", url+"/v1/tables/crash/cdc", bytes.NewReader(jsonBatch(p.name, 0, 1)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set(ProducerHeader, p.name)
		resp, err := client.Do(req)
		if err != nil {
			return nil // the server died: expected
		}
		raw := new(bytes.Buffer)
		raw.ReadFrom(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusConflict:
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return nil
		default:
			return fmt.Errorf("%s: LSN 0, never accepted: %d %s", p.name, resp.StatusCode, raw)
		}
	}
	for range maxBatches {
		from := int64(p.next*crashBatch + 1)
		body := jsonBatch(p.name, from, crashBatch)
		req, _ := http.NewRequest("POST", url+"/v1/tables/crash/cdc", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set(ProducerHeader, p.name)
		p.sent = max(p.sent, p.next+1)
		resp, err := client.Do(req)
		if err != nil {
			return nil // the server died: expected
		}
		var ack struct{ LSN int64 }
		raw := new(bytes.Buffer)
		raw.ReadFrom(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			return nil // try again in the next round
		default:
			return fmt.Errorf("%s: batch %d: %d %s", p.name, p.next, resp.StatusCode, raw)
		}
		if err := json.Unmarshal(raw.Bytes(), &ack); err != nil {
			return fmt.Errorf("%s: batch %d: %v: %s", p.name, p.next, err, raw)
		}
		want := from + crashBatch - 1
		if ack.LSN != want {
			return fmt.Errorf("%s: batch %d acknowledged up to LSN %d, want %d", p.name, p.next, ack.LSN, want)
		}
		p.acked = want
		p.next++
	}
	return nil
}

func TestCrashRecovery(t *testing.T) {
	rounds, producers := 20, 4
	if testing.Short() {
		rounds = 4
	}
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := make([]*crashProducer, producers)
	for i := range ps {
		ps[i] = &crashProducer{name: fmt.Sprintf("db-%d", i)}
	}
	for round := range rounds {
		c := startChild(t, dir)
		client := &http.Client{Transport: &http.Transport{}}
		killAt := time.Duration(rng.IntN(300)) * time.Millisecond
		killer := time.AfterFunc(killAt, func() { c.cmd.Process.Signal(syscall.SIGKILL) })
		var wg sync.WaitGroup
		errs := make([]error, len(ps))
		for i, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each producer stops after 100 batches in a round, so
				// the round ends even if the kill comes late.
				errs[i] = p.run(client, "http://"+c.addr, 100)
			}()
		}
		wg.Wait()
		killer.Stop()
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
		client.CloseIdleConnections()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: %v\nserver log:\n%s", round, err, c.stderr.String())
		}
		if strings.Contains(c.stderr.String(), "panic") {
			t.Fatalf("round %d: the server panicked:\n%s", round, c.stderr.String())
		}
		t.Logf("round %d: killed after %v; acked %v", round, killAt, ackedOf(ps))
	}

	// A last start replays the log; SIGTERM then shuts it down cleanly.
	c := startChild(t, dir)
	c.cmd.Process.Signal(syscall.SIGTERM)
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("the last server did not shut down cleanly: %v\n%s", err, c.stderr.String())
	}

	got, err := readTableLSNs(context.Background(), crashConfig(dir).TableRoot+"/crash")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, p := range ps {
		lsns := got[p.name]
		total += len(lsns)
		count := map[int64]int{}
		for _, l := range lsns {
			count[l]++
		}
		for l, n := range count {
			if n != 1 {
				t.Errorf("%s: LSN %d is in the table %d times", p.name, l, n)
			}
			if l < 1 || l > int64(p.sent*crashBatch) {
				t.Errorf("%s: LSN %d is in the table but was never sent", p.name, l)
			}
		}
		for l := int64(1); l <= p.acked; l++ {
			if count[l] == 0 {
				t.Errorf("%s: acknowledged LSN %d is not in the table", p.name, l)
				break
			}
		}
		// A batch is there whole or not at all.
		for k := range p.sent {
			n := 0
			for l := int64(k*crashBatch + 1); l <= int64((k+1)*crashBatch); l++ {
				n += min(count[l], 1)
			}
			if n != 0 && n != crashBatch {
				t.Errorf("%s: batch %d is half committed: %d of %d entries", p.name, k, n, crashBatch)
			}
		}
	}
	t.Logf("%d rounds, %d rows in the table, acked %v", rounds, total, ackedOf(ps))
}

func ackedOf(ps []*crashProducer) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.acked)
	}
	return out
}
