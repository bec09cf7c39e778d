package uploadtest

import (
	"context"
	"net"
	"os"
	"testing"
)

// TestStartGatewayPortTaken: the port picked for versitygw is taken by
// another process before versitygw binds it; the gateway starts on
// another port.
func TestStartGatewayPortTaken(t *testing.T) {
	if _, err := FindVersityGW(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	pick := freeAddr
	defer func() { freeAddr = pick }()
	picks := 0
	freeAddr = func() (string, error) {
		picks++
		if picks == 1 {
			return taken.Addr().String(), nil
		}
		return pick()
	}
	g, err := StartGateway(t.TempDir())
	if err != nil {
		t.Fatalf("StartGateway with its first port taken: %v", err)
	}
	defer g.Close()
	if picks != 2 || g.Endpoint == "http://"+taken.Addr().String() {
		t.Errorf("%d ports picked, endpoint %s (the taken port %s)", picks, g.Endpoint, taken.Addr())
	}
	if _, err := g.NewBucket(context.Background()); err != nil {
		t.Errorf("the gateway started on the second port does not answer: %v", err)
	}
}
