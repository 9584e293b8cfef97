// Package stream is the holder's event endpoint, both ends of it: the
// unix socket a holder (ctrun) serves its event stream on, and what
// ctstat and ctwatch do to talk to it.
//
// It is one package because the two ends must agree on everything — the
// socket's name, the request line, the answers, the "lost" notice — and a
// change to one end is a change to the other. The holder publishes
// events.Lines; a reader dials the socket the careful way (Dial), then
// either asks for queue lengths (Stat) or follows the stream (Watch).
//
// Protocol: the client writes one line — "stat", or "watch" followed by
// the words "replay" (first send the events still queued) and/or
// "reliable" (root only: never lose a line) — and reads JSON lines
// (events.Line). "stat" is answered by one line {"queued":{"<ctid>":n,...}}
// and the connection is closed; "watch" is answered by the stream, with a
// {"type":"lost",...} line wherever the reader was too slow.
package stream
