package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// maxBackoff caps the wait between two attempts.
const maxBackoff = 30 * time.Second

// attemptResult is the outcome of posting one payload, over all attempts.
type attemptResult struct {
	Status   int // HTTP status of the last response; 0 when none arrived
	Attempts int
	Err      error // nil when a 2xx arrived
}

// post sends payload to target, making up to 1+retries attempts of at most
// timeout each. It retries on a transport error, a 5xx and 429, waiting
// backoff, 2×backoff, … (capped at maxBackoff) in between; any other
// non-2xx status is final. Errors never contain the URL.
func post(ctx context.Context, client *http.Client, target string, payload []byte, timeout time.Duration, retries int, backoff time.Duration) attemptResult {
	var res attemptResult
	wait := backoff
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				res.Err = fmt.Errorf("after %d attempt(s): %w", res.Attempts, ctx.Err())
				return res
			case <-t.C:
			}
			wait = min(2*wait, maxBackoff)
		}
		res.Attempts++
		status, err := postOnce(ctx, client, target, payload, timeout)
		res.Status, res.Err = status, err
		if err == nil {
			return res
		}
		if status != 0 && status != http.StatusTooManyRequests && status < 500 {
			return res // the receiver refused the message: retrying will not help
		}
		if ctx.Err() != nil {
			return res
		}
	}
	return res
}

func postOnce(ctx context.Context, client *http.Client, target string, payload []byte, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return 0, redact(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ledgerlens")
	resp, err := client.Do(req)
	if err != nil {
		return 0, redact(err)
	}
	defer resp.Body.Close()
	// Read a little of the body so the connection can be reused; its
	// content is the receiver's and is not logged.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
