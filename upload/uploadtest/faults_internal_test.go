package uploadtest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRateFaultsIgnoreTheBucket: with Rate rules, which requests get a
// fault depends on the seed, the operation, the object key, the part and
// the attempt, not on the bucket's name (random in the tests), so that a
// test's faults are the same on every run.
func TestRateFaultsIgnoreTheBucket(t *testing.T) {
	pattern := func(bucket string) []int {
		ok := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
		})
		tr := &Transport{Base: ok, Seed: 1, Rules: []Rule{{Fault: Status500, Rate: 0.3}}}
		var got []int
		for k := range 20 {
			url := fmt.Sprintf("http://127.0.0.1:1/%s/w/%d?partNumber=%d&uploadId=u%d", bucket, k%4, k%3+1, k%4)
			req, err := http.NewRequest(http.MethodPut, url, strings.NewReader("x"))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got = append(got, resp.StatusCode)
		}
		return got
	}
	a, b := pattern("evodb-0a1b2c"), pattern("evodb-d4e5f6")
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("faults differ between two buckets (-first +second):\n%s", diff)
	}
	n := 0
	for _, f := range a {
		if f != http.StatusOK {
			n++
		}
	}
	if n == 0 || n == len(a) {
		t.Errorf("%d of %d requests faulted at rate 0.3", n, len(a))
	}
	for path, want := range map[string]string{"/b/k": "k", "/b/dir/k.json": "dir/k.json", "/b": "", "/b/": ""} {
		if got := objectKey(path); got != want {
			t.Errorf("objectKey(%q) = %q, want %q", path, got, want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
