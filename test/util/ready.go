package util

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// Ready asks http://addr/readyz once, over a new connection, and says what
// answered when it is not a 200. A Service's IP reaches its pods only once
// kube-proxy has written its rules; until then a connection to it may leave by
// the host's default route and reach whatever answers there. A kept-alive
// connection would stay with that answerer, so every probe dials anew.
func Ready(addr string) error {
	hc := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   5 * time.Second,
	}
	resp, err := hc.Get("http://" + addr + "/readyz")
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("%s/readyz answered %d (Server: %q): %q", addr, resp.StatusCode, resp.Header.Get("Server"), body)
	}
	return nil
}
