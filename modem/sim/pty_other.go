//go:build !linux

package sim

import (
	"errors"
	"os"
)

type pty struct {
	master *os.File
	hold   *os.File
	slave  string
}

func openPTY() (*pty, error) { return nil, errors.New("sim: ptys are only supported on Linux") }

func (p *pty) close() error { return nil }

func (p *pty) watchCloses() {}
