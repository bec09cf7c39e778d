package upload_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"

	"github.com/evodb/writer/upload"
	"github.com/evodb/writer/upload/uploadtest"
	"go.uber.org/goleak"
)

// TestMain stops the shared gateway, then fails the run if any goroutine
// outlives the tests (goleak.VerifyTestMain would check before the
// gateway is stopped).
func TestMain(m *testing.M) {
	code := m.Run()
	uploadtest.StopSharedGateway()
	if code == 0 {
		// Keep-alive connections of the tests' HTTP clients idle in the
		// shared transport; they are not the package's goroutines.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: goroutines left after the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

func raceSize() (racers, rounds int) {
	if testing.Short() {
		return 16, 5
	}
	return 16, 20
}

func TestMemoryConformance(t *testing.T) {
	uploadtest.RunConformance(t, func(t *testing.T) upload.Store { return upload.NewMemory() },
		uploadtest.SuiteOptions{Racers: 16, Rounds: 20})
}

func TestLocalConformance(t *testing.T) {
	racers, rounds := raceSize()
	uploadtest.RunConformance(t, func(t *testing.T) upload.Store {
		s, err := upload.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, uploadtest.SuiteOptions{Racers: racers, Rounds: rounds})
}

// newGatewayStore returns an S3 store on a new bucket of the shared
// versitygw server.
func newGatewayStore(t *testing.T, opts upload.S3Options) (*upload.S3, *uploadtest.Gateway) {
	t.Helper()
	gw := uploadtest.SharedGateway(t)
	ctx := context.Background()
	bucket, err := gw.NewBucket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts.Bucket = bucket
	opts.Endpoint = gw.Endpoint
	opts.Region = gw.Region
	opts.UsePathStyle = true
	opts.AccessKeyID = gw.AccessKey
	opts.SecretAccessKey = gw.SecretKey
	s, err := upload.NewS3(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, gw
}

func TestS3Conformance(t *testing.T) {
	racers, rounds := raceSize()
	uploadtest.RunConformance(t, func(t *testing.T) upload.Store {
		s, _ := newGatewayStore(t, upload.S3Options{})
		return s
	}, uploadtest.SuiteOptions{Racers: racers, Rounds: rounds})
}

func TestS3PrefixConformance(t *testing.T) {
	uploadtest.RunConformance(t, func(t *testing.T) upload.Store {
		s, _ := newGatewayStore(t, upload.S3Options{Prefix: "tables/t1"})
		return s
	}, uploadtest.SuiteOptions{})
}

func TestSubConformance(t *testing.T) {
	uploadtest.RunConformance(t, func(t *testing.T) upload.Store {
		s, err := upload.Sub(upload.NewMemory(), "tables/t1")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, uploadtest.SuiteOptions{})
}
