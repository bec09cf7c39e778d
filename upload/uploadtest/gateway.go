// Package uploadtest holds what the tests of object stores share: a
// versitygw process to test against, a fault-injecting HTTP transport, and
// the conformance suite every upload.Store must pass.
package uploadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Gateway is a versitygw server with its posix backend in a temporary
// directory, listening on 127.0.0.1.
type Gateway struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string
	SecretKey string
	Region    string // us-east-1
	dir       string
	cmd       *exec.Cmd
	exited    chan struct{}
	logs      *bytes.Buffer
}

// FindVersityGW returns the path of the versitygw binary: on PATH or in
// $(go env GOPATH)/bin.
func FindVersityGW() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH or in $(go env GOPATH)/bin; run scripts/setup.sh (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
}

// StartGateway starts versitygw with its data in dir and waits until it
// answers. The port is a free one picked just before versitygw starts;
// if another process took it meanwhile (versitygw exits: address in
// use), it starts again on another, three times at most.
func StartGateway(dir string) (*Gateway, error) {
	bin, err := FindVersityGW()
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		g, err := startGateway(bin, dir)
		if errors.Is(err, errPortTaken) && attempt < 3 {
			continue
		}
		return g, err
	}
}

// errPortTaken: versitygw exited because its port was in use.
var errPortTaken = errors.New("port taken")

// freeAddr returns a loopback address with a port free at the time.
var freeAddr = func() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func startGateway(bin, dir string) (*Gateway, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		Endpoint:  "http://" + addr,
		AccessKey: "evodbtestkey",
		SecretKey: "evodbtestsecret" + randomHex(8),
		Region:    "us-east-1",
		dir:       dir,
		exited:    make(chan struct{}),
		logs:      new(bytes.Buffer),
	}
	g.cmd = exec.Command(bin, "--port", addr, "--keep-alive", "--quiet", "posix", dir)
	g.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+g.AccessKey, "ROOT_SECRET_KEY="+g.SecretKey, "VGW_REGION="+g.Region)
	g.cmd.Stdout = g.logs
	g.cmd.Stderr = g.logs
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting versitygw: %w", err)
	}
	go func() { g.cmd.Wait(); close(g.exited) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	// The probe lists the buckets with this server's own secret: only
	// this versitygw answers it (not another server that holds the port),
	// and a server that never answers holds it up for 2 s at most.
	probe := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := g.Client(nil).ListBuckets(ctx, &s3.ListBucketsInput{}, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		return err
	}
	for {
		if probe() == nil {
			return g, nil
		}
		select {
		case <-g.exited:
			if strings.Contains(g.logs.String(), "address already in use") {
				return nil, fmt.Errorf("versitygw exited before answering: %w: %s", errPortTaken, g.logs.String())
			}
			return nil, fmt.Errorf("versitygw exited before answering: %s", g.logs.String())
		case <-deadline.C:
			g.Close()
			return nil, fmt.Errorf("versitygw did not answer on %s within 60s: %s", addr, g.logs.String())
		case <-tick.C:
		}
	}
}

// Close stops the server.
func (g *Gateway) Close() error {
	if g.cmd.Process != nil {
		g.cmd.Process.Kill()
		<-g.exited
	}
	return nil
}

// Client returns an SDK client for the server; httpClient may be nil.
func (g *Gateway) Client(httpClient *http.Client) *s3.Client {
	return s3.New(s3.Options{
		Region:       g.Region,
		BaseEndpoint: aws.String(g.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, ""),
		HTTPClient:   httpClientOrDefault(httpClient),
	})
}

func httpClientOrDefault(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return http.DefaultClient
}

// NewBucket creates a bucket with a fresh name and returns the name.
func (g *Gateway) NewBucket(ctx context.Context) (string, error) {
	name := "evodb-" + randomHex(6)
	_, err := g.Client(nil).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("creating bucket %s: %w", name, err)
	}
	return name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var shared struct {
	once sync.Once
	gw   *Gateway
	dir  string
	err  error
}

// SharedGateway returns the versitygw server shared by the tests of one
// test binary, starting it on first use; call StopSharedGateway from
// TestMain. When the binary is missing the test is skipped, or fails when
// the environment has CI=true.
func SharedGateway(tb testing.TB) *Gateway {
	tb.Helper()
	shared.once.Do(func() {
		if _, err := FindVersityGW(); err != nil {
			shared.err = err
			return
		}
		dir, err := os.MkdirTemp("", "evodb-versitygw-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = dir
		shared.gw, shared.err = StartGateway(dir)
	})
	if shared.err != nil {
		if _, missing := FindVersityGW(); missing != nil && os.Getenv("CI") != "true" {
			tb.Skipf("skipping S3 test: %v", shared.err)
		}
		tb.Fatalf("versitygw: %v", shared.err)
	}
	return shared.gw
}

// StopSharedGateway stops the shared server, if one was started.
func StopSharedGateway() {
	if shared.gw != nil {
		shared.gw.Close()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}
