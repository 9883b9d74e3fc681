package pgtest

import (
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Cluster is a PostgreSQL server of one test's own, in a temporary
// directory, which the test may stop and start again (to see what
// gateways do while their database is gone) without disturbing the shared
// server of SMSGW_TEST_POSTGRES. Run as root, the server runs as the
// postgres user (it refuses root), as Debian's package creates it.
type Cluster struct {
	bin  string // the directory of initdb, pg_ctl
	dir  string
	port int
	as   []string // the command prefix that runs as the server's user
}

// StartCluster creates and starts a throwaway server, stopped and removed
// when the test ends. Without PostgreSQL's programs the test is skipped on
// a developer's machine and fails in CI.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := serverBin()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("pgtest: initdb not found (install Debian's postgresql package)")
		}
		t.Skip("pgtest: initdb not found: no PostgreSQL server programs to start a cluster with")
	}
	dir, err := os.MkdirTemp("", "smsgw-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{bin: bin, dir: dir}
	t.Cleanup(func() {
		c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") // may be stopped already
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root needs the postgres user to run the server: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}
	c.Start(t)
	return c
}

// serverBin finds the directory of initdb and pg_ctl: Debian's
// /usr/lib/postgresql/<version>/bin (the newest), else the PATH's.
func serverBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0])
	}
	if p, err := osexec.LookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return filepath.Dir(p)
	}
	return ""
}

func version(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, c.as...), filepath.Join(c.bin, prog)), args...)
	cmd := osexec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// Start starts the server (again) on its port and waits until it accepts
// connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if err := c.StartErr(); err != nil {
		t.Fatal(err)
	}
}

// StartErr is Start for a goroutine other than the test's: it returns
// what went wrong.
func (c *Cluster) StartErr() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		return fmt.Errorf("pgtest: start the cluster: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the server at once, as a crash or a cut cable would look to
// its clients: open connections are dropped.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop"); err != nil {
		t.Fatalf("pgtest: stop the cluster: %v\n%s", err, out)
	}
}

// AdminDSN is the superuser's DSN of the cluster's postgres database.
func (c *Cluster) AdminDSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// DSN creates a database on the cluster and returns its DSN.
func (c *Cluster) DSN(t testing.TB, name string) string {
	t.Helper()
	if err := exec(c.AdminDSN(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s on the cluster: %v", name, err)
	}
	return withDatabase(c.AdminDSN(), name)
}
