package check

import (
	"context"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// Pause waits d or until ctx ends; false if ctx ended.
func Pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// timeLeft is the time before the check's deadline (an hour if none).
func (e *Env) TimeLeft() time.Duration {
	if d, ok := e.Ctx.Deadline(); ok {
		return time.Until(d)
	}
	return time.Hour
}

// Pending is an exchange under way on another goroutine (a long-lived
// stream), to be judged and recorded by collect on the check's goroutine.
type Pending struct {
	done chan struct{}
	ex   *wire.Exchange
}

// SendAsync starts sending r to instance 0 on another goroutine, bounded
// by ctx and r.Timeout. Every pendingSend must be collected.
func (e *Env) SendAsync(ctx context.Context, r *Request) *Pending {
	p := &Pending{done: make(chan struct{})}
	t := e.targets[0]
	go func() {
		defer close(p.done)
		defer func() {
			if recover() != nil {
				p.ex = &wire.Exchange{Transport: t.Transport(), Body: r.Body, Header: r.Header, Outcome: wire.Dropped}
			}
		}()
		p.ex = t.Send(ctx, r)
	}()
	return p
}

func (p *Pending) Finished() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Collect waits for a pending exchange, then judges and records it as Send
// does.
func (e *Env) Collect(p *Pending) Observation {
	<-p.done
	ex := p.ex
	ex.Instance = 0
	return e.Record(ex)
}
