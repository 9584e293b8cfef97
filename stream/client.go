package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/ctrun/ctrun/events"
)

// The reader's side of the two requests. Both start with Dial, so a
// reader never talks to a socket that is not its holder's.

// maxReply bounds what is read of a "stat" answer.
const maxReply = 1 << 20

// Stat asks the holder holderPid, on its socket path owned by owner, how
// many events it keeps queued per contract (keyed by the contract id in
// decimal). The whole query — connect, ask, answer — ends by deadline.
// Nothing (and no error) when there is no socket, no answer in time or no
// answer that parses: the holder then counts as having nothing queued.
// The error is a socket that is not the holder's (Dial).
func Stat(path string, holderPid, owner int, deadline time.Time) (map[string]int, error) {
	conn, err := Dial(path, holderPid, owner, deadline)
	if conn == nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	if _, err := io.WriteString(conn, StatRequest); err != nil {
		return nil, nil
	}
	return ReadQueued(conn), nil
}

// ReadQueued reads a holder's one-line answer to "stat"; nil when there is
// none or it does not parse (the holder then counts as not answering).
func ReadQueued(r io.Reader) map[string]int {
	line, err := bufio.NewReader(io.LimitReader(r, maxReply)).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil
	}
	var a statAnswer
	if json.Unmarshal(line, &a) != nil {
		return nil
	}
	return a.Queued
}

// maxLine bounds one line of the stream; longer ones end it.
const maxLine = 1 << 20

// Watch asks for the stream on conn (from Dial) and hands each line to
// each, parsed and as read (raw is only valid during the call), until the
// holder hangs up or ctx is done. Lines that do not parse are skipped.
// The stream has no deadline: it lasts as long as the holder.
func Watch(ctx context.Context, conn net.Conn, o WatchOptions, each func(l events.Line, raw []byte)) error {
	_ = conn.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := io.WriteString(conn, o.request()); err != nil {
		return fmt.Errorf("watch request: %w", err)
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var l events.Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue
		}
		each(l, sc.Bytes())
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("watch stream: %w", err)
	}
	return nil
}
