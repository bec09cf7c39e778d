package upload

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// RetryPolicy says how requests that failed for a transient reason (5xx,
// throttling, a reset or broken connection) are retried: up to MaxAttempts
// attempts in all, sleeping a random duration in [0, min(MaxDelay,
// BaseDelay·2^retry)) before each retry (exponential backoff with full
// jitter). Zero fields take the defaults in brackets.
type RetryPolicy struct {
	MaxAttempts int           // [6]
	BaseDelay   time.Duration // [100ms]
	MaxDelay    time.Duration // [5s]
	// Sleep waits for d or until ctx is done; tests replace it to run
	// without waiting. [a timer]
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1). [math/rand/v2]
	Jitter func() float64
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 6
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 100 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.Sleep == nil {
		p.Sleep = Sleep
	}
	if p.Jitter == nil {
		p.Jitter = rand.Float64
	}
	return p
}

// delay is the pause before retry number retry (0-based).
func (p RetryPolicy) delay(retry int) time.Duration {
	d := p.MaxDelay
	if retry < 30 {
		d = min(p.MaxDelay, p.BaseDelay<<retry)
	}
	return time.Duration(p.Jitter() * float64(d))
}

// Sleep waits for d or until ctx is done, whichever comes first, and
// returns ctx's error in the second case. It is the default Sleep of
// RetryPolicy, and of the table's and the writer's retries.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errClass sorts the errors of S3 requests.
type errClass int

const (
	classFatal        errClass = iota
	classRetry                 // transient: retry the request
	classPrecondition          // 412
	classConflict              // 409 ConditionalRequestConflict
	classNotFound              // 404
)

func statusOf(err error) int {
	var re *http.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func classify(ctx context.Context, err error) errClass {
	if err == nil {
		return classFatal
	}
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return classFatal
	}
	status, code := statusOf(err), codeOf(err)
	switch code {
	case "PreconditionFailed":
		return classPrecondition
	case "ConditionalRequestConflict":
		return classConflict
	case "NoSuchKey", "NoSuchUpload", "NotFound":
		return classNotFound
	case "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
		"ServiceUnavailable", "RequestLimitExceeded", "TooManyRequests":
		return classRetry
	}
	switch {
	case status == 412:
		return classPrecondition
	case status == 404:
		return classNotFound
	case status == 429 || status >= 500:
		return classRetry
	case status != 0:
		return classFatal
	}
	// No HTTP status: the request did not get a (complete) answer.
	var send *smithyhttp.RequestSendError
	var deser *smithy.DeserializationError
	var netErr net.Error
	switch {
	case errors.As(err, &send), errors.As(err, &deser), errors.As(err, &netErr),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return classRetry
	}
	return classFatal
}
