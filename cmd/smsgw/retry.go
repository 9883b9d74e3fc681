package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"smsgw/wire"
	"time"
)

func init() {
	register(command{name: "retry", summary: "requeue an uncertain, failed or expired message", run: runRetry})
}

// runRetry asks the daemon to queue a message again: the operator's
// answer to an uncertain send (it may or may not have reached the phone)
// or to a failure that has since been fixed.
var retryDoc = usageDoc{
	synopsis: []string{"smsgw retry ID [--json]"},
	about: `Requeues an uncertain, failed or expired message; other states are refused.
An uncertain message may already have reached the phone.`,
	exits: clientExits,
}

func runRetry(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("retry")
	addr := addrFlag(fs)
	asJSON := fs.Bool("json", false, "print the requeued message as JSON")
	id, code, done := idArg(fs, retryDoc, args, stdout, stderr)
	if done {
		return code
	}
	c, err := newClient(*addr)
	if err != nil {
		return usageError(stderr, fs, retryDoc, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var m wire.Message
	if err := c.do(ctx, "POST", "/v1/messages/"+url.PathEscape(id)+"/retry", nil, &m); err != nil {
		return fail(stderr, "retry", err)
	}
	if *asJSON {
		printJSON(stdout, m)
		return exitOK
	}
	fmt.Fprintf(stdout, "%s to %s: %s again\n", m.ID, m.To, m.State)
	return exitOK
}
