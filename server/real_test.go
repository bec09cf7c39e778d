package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRealWriter drives the server with the real LakehouseWriter on a
// local table: batches, flushes, table info, compaction, and the rows read
// back from the Parquet blocks.
func TestRealWriter(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.openTable = nil
	cfg.TableRoot = "file://" + filepath.ToSlash(filepath.Join(dir, "tables"))
	ts := startServer(t, cfg)
	producers := []string{"a", "b", "c"}
	for round := range 5 {
		for _, p := range producers {
			if r := ts.send("real", p, jsonBatch(p, int64(round*30+1), 30), nil); r.Code != 200 || lsnOf(r) != int64(round*30+30) {
				t.Fatalf("%d %s", r.Code, r.Raw)
			}
		}
		if f := ts.flush("real"); f.Body["rows"] != float64(90) {
			t.Fatalf("flush: %s", f.Raw)
		}
	}
	var info tableInfo
	r := ts.do("GET", "/v1/tables/real", nil, nil)
	if err := json.Unmarshal([]byte(r.Raw), &info); err != nil || r.Code != 200 {
		t.Fatalf("%d %s", r.Code, r.Raw)
	}
	if info.NumFiles != 5 || info.Rows != 450 || info.Version != 5 || len(info.Schema) == 0 ||
		!cmp.Equal(info.Producers, map[string]int64{"a": 150, "b": 150, "c": 150}) {
		t.Fatalf("table info: %s", r.Raw)
	}
	c := ts.do("POST", "/v1/tables/real/compact", nil, nil)
	if c.Code != 200 || !strings.Contains(c.Raw, `"CompactedBlocks":5`) {
		t.Fatalf("compact: %d %s", c.Code, c.Raw)
	}
	if r := ts.do("GET", "/v1/tables/real", nil, nil); !strings.Contains(r.Raw, `"num_files":1,`) || !strings.Contains(r.Raw, `"rows":450,`) {
		t.Fatalf("after compaction: %s", r.Raw)
	}
	got, err := readTableLSNs(context.Background(), tableURI(cfg.TableRoot, "real"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range producers {
		if diff := cmp.Diff(seq(1, 150), got[p]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", p, diff)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "evodb test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, filepath.Join(dir, "data"))
	var pool *x509.CertPool
	cfg.TLSCert, cfg.TLSKey, pool = selfSigned(t, dir)
	ts := startServer(t, cfg)
	httpsURL := strings.Replace(ts.url, "http://", "https://", 1)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("POST", httpsURL+"/v1/tables/tls/cdc", strings.NewReader(string(jsonBatch("p", 1, 3))))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set(ProducerHeader, "p")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("HTTPS batch: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	// Plain HTTP is refused.
	plain, err := http.Get(ts.url + "/healthz")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on a TLS server")
		}
	}
	bad := cfg
	bad.DataDir = filepath.Join(dir, "other")
	bad.TLSKey = cfg.TLSCert
	if _, err := New(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("New with a bad key: %v", err)
	}
}
