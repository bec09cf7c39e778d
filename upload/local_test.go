package upload_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/evodb/writer/upload"
)

func newLocal(t *testing.T) *upload.Local {
	t.Helper()
	s, err := upload.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestETagChangesOnIdenticalOverwrite: the local and memory stores change
// the ETag on every write, even of the same bytes, so a compare-and-swap
// never mistakes a rewritten object for the one it read.
func TestETagChangesOnIdenticalOverwrite(t *testing.T) {
	for name, s := range map[string]upload.Store{"local": newLocal(t), "memory": upload.NewMemory()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			seen := map[string]bool{}
			for i := range 5 {
				info, err := s.Put(ctx, "same", []byte("same bytes"), upload.PutOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(info.ETag, `"h-`) {
					t.Skip("the temporary directory keeps no extended attributes: local ETags are content hashes (see Local)")
				}
				if seen[info.ETag] {
					t.Fatalf("write %d repeated ETag %s", i, info.ETag)
				}
				seen[info.ETag] = true
			}
		})
	}
}

// TestCompareAndSwapCounter increments a counter from many goroutines with
// IfMatch: no increment may be lost.
func TestCompareAndSwapCounter(t *testing.T) {
	for name, s := range map[string]upload.Store{"local": newLocal(t), "memory": upload.NewMemory()} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := s.Put(ctx, "counter", []byte("0"), upload.PutOptions{}); err != nil {
				t.Fatal(err)
			}
			const workers, each = 8, 10
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for done := 0; done < each; {
						data, info, err := s.Get(ctx, "counter")
						if err != nil {
							t.Error(err)
							return
						}
						n, _ := strconv.Atoi(string(data))
						_, err = s.Put(ctx, "counter", []byte(strconv.Itoa(n+1)), upload.PutOptions{IfMatch: info.ETag})
						switch {
						case err == nil:
							done++
						case !errors.Is(err, upload.ErrPreconditionFailed):
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			data, _, err := s.Get(ctx, "counter")
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != strconv.Itoa(workers*each) {
				t.Errorf("counter = %s after %d increments", data, workers*each)
			}
		})
	}
}

func TestLocalLeavesNoTemporaryFiles(t *testing.T) {
	s := newLocal(t)
	ctx := context.Background()
	s.Put(ctx, "a/b", []byte("1"), upload.PutOptions{})
	s.Put(ctx, "a/b", []byte("2"), upload.PutOptions{IfAbsent: true}) // fails
	w, _ := s.Create(ctx, "a/c", upload.PutOptions{})
	w.Write([]byte("x"))
	w.Abort()
	var names []string
	filepath.WalkDir(s.Root(), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(s.Root(), p)
			names = append(names, rel)
		}
		return nil
	})
	for _, n := range names {
		if strings.Contains(n, ".upload-tmp") {
			t.Errorf("temporary file left: %s (all: %v)", n, names)
		}
	}
}

func TestLocalObjectAndDirectoryClash(t *testing.T) {
	s := newLocal(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "a", []byte("file"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "a/b", []byte("below a file"), upload.PutOptions{}); err == nil {
		t.Errorf("put below an object succeeded")
	}
	if _, err := s.Put(ctx, "d/e", []byte("x"), upload.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "d", []byte("over a directory"), upload.PutOptions{}); err == nil {
		t.Errorf("put over a directory succeeded")
	}
	if got, _, err := s.Get(ctx, "d/e"); err != nil || string(got) != "x" {
		t.Errorf("d/e = %q, %v", got, err)
	}
}

// TestLocalCrossProcessRace races put-if-absent on the same keys from
// four processes of four goroutines each.
func TestLocalCrossProcessRace(t *testing.T) {
	if dir := os.Getenv("EVODB_LOCAL_RACE_DIR"); dir != "" {
		localRaceChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("starts subprocesses; skipped with -short")
	}
	dir := t.TempDir()
	const procs, rounds = 4, 20
	outs := make([]bytes.Buffer, procs)
	var cmds []*exec.Cmd
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLocalCrossProcessRace$")
		cmd.Env = append(os.Environ(), "EVODB_LOCAL_RACE_DIR="+dir, "EVODB_LOCAL_RACE_ROUNDS="+strconv.Itoa(rounds), "EVODB_LOCAL_RACE_ID="+strconv.Itoa(i))
		cmd.Stdout = &outs[i]
		cmd.Stderr = &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i].String())
		}
	}
	wins := map[string][]string{}
	for i := range outs {
		sc := bufio.NewScanner(&outs[i])
		for sc.Scan() {
			line := sc.Text()
			if f := strings.Fields(line); len(f) == 3 && f[0] == "win" {
				wins[f[1]] = append(wins[f[1]], f[2])
			}
			if strings.HasPrefix(line, "error") {
				t.Errorf("child %d: %s", i, line)
			}
		}
	}
	s, err := upload.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	for r := range rounds {
		key := fmt.Sprintf("log/%05d", r)
		if len(wins[key]) != 1 {
			t.Errorf("%s: winners %v, want exactly one", key, wins[key])
			continue
		}
		got, _, err := s.Get(context.Background(), key)
		if err != nil || string(got) != wins[key][0] {
			t.Errorf("%s holds %q (%v), the winner wrote %q", key, got, err, wins[key][0])
		}
	}
}

func localRaceChild(dir string) {
	s, err := upload.NewLocal(dir)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	rounds, _ := strconv.Atoi(os.Getenv("EVODB_LOCAL_RACE_ROUNDS"))
	id := os.Getenv("EVODB_LOCAL_RACE_ID")
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				key := fmt.Sprintf("log/%05d", r)
				me := fmt.Sprintf("p%s-g%d", id, g)
				_, err := s.Put(context.Background(), key, []byte(me), upload.PutOptions{IfAbsent: true})
				mu.Lock()
				switch {
				case err == nil:
					fmt.Println("win", key, me)
				case !errors.Is(err, upload.ErrPreconditionFailed):
					fmt.Println("error", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
