// A VFS that is SQLite's own "unix" VFS, except that the frames a
// connection appends to its write-ahead log reach the kernel in one
// write per commit rather than two per page (a 24-byte frame header, then
// the page). On a virtual machine a system call costs as much as copying
// several pages: a commit of 38 pages spent more CPU time in its 76
// pwrite calls than in everything SQLite did for its messages.
//
// What stays the same, and why:
//   - Everything but the log goes straight to the unix VFS: the files are
//     opened by it into the memory SQLite gives us, with its own methods.
//   - The log's writes are held in order, as one contiguous run of bytes,
//     and handed on before anything else touches the file (a read, a
//     sync, a size, a truncation, a file control, close), before a write
//     that does not continue the run, and at once after the page of a
//     commit frame; after a sync, writes go straight on until the next
//     transaction's first frame (a padded commit ends after its sync).
//     So a transaction is in the kernel, whole, before its commit returns
//     and before the wal-index that readers trust names its frames
//     (SQLite appends to the index after the frames' writes);
//     every sync still covers every byte written before it.
//   - A write error surfaces on the call that hands the bytes on: a later
//     write of the same transaction, its sync or its commit frame, so the
//     transaction fails as it would have, never a committed one.
//   - What a crash can lose is only what the log held of a transaction
//     whose commit had not returned: nothing acknowledged.
//
// The SQLite declarations below are the parts of its stable C interface
// (sqlite3.h: sqlite3_file, sqlite3_io_methods version 3, sqlite3_vfs
// version 3) this file uses, written here because go-sqlite3 compiles
// SQLite into the program without installing its header.

#include <stdlib.h>
#include <string.h>

typedef long long smsgw_i64;
typedef struct smsgw_sqlite3_file smsgw_sqlite3_file;
typedef struct smsgw_io_methods smsgw_io_methods;
typedef struct smsgw_vfs smsgw_vfs;

struct smsgw_sqlite3_file {
	const smsgw_io_methods *pMethods;
};

struct smsgw_io_methods {
	int iVersion;
	int (*xClose)(smsgw_sqlite3_file *);
	int (*xRead)(smsgw_sqlite3_file *, void *, int, smsgw_i64);
	int (*xWrite)(smsgw_sqlite3_file *, const void *, int, smsgw_i64);
	int (*xTruncate)(smsgw_sqlite3_file *, smsgw_i64);
	int (*xSync)(smsgw_sqlite3_file *, int);
	int (*xFileSize)(smsgw_sqlite3_file *, smsgw_i64 *);
	int (*xLock)(smsgw_sqlite3_file *, int);
	int (*xUnlock)(smsgw_sqlite3_file *, int);
	int (*xCheckReservedLock)(smsgw_sqlite3_file *, int *);
	int (*xFileControl)(smsgw_sqlite3_file *, int, void *);
	int (*xSectorSize)(smsgw_sqlite3_file *);
	int (*xDeviceCharacteristics)(smsgw_sqlite3_file *);
	int (*xShmMap)(smsgw_sqlite3_file *, int, int, int, void volatile **);
	int (*xShmLock)(smsgw_sqlite3_file *, int, int, int);
	void (*xShmBarrier)(smsgw_sqlite3_file *);
	int (*xShmUnmap)(smsgw_sqlite3_file *, int);
	int (*xFetch)(smsgw_sqlite3_file *, smsgw_i64, int, void **);
	int (*xUnfetch)(smsgw_sqlite3_file *, smsgw_i64, void *);
};

struct smsgw_vfs {
	int iVersion;
	int szOsFile;
	int mxPathname;
	smsgw_vfs *pNext;
	const char *zName;
	void *pAppData;
	int (*xOpen)(smsgw_vfs *, const char *, smsgw_sqlite3_file *, int, int *);
	int (*xDelete)(smsgw_vfs *, const char *, int);
	int (*xAccess)(smsgw_vfs *, const char *, int, int *);
	int (*xFullPathname)(smsgw_vfs *, const char *, int, char *);
	void *(*xDlOpen)(smsgw_vfs *, const char *);
	void (*xDlError)(smsgw_vfs *, int, char *);
	void (*(*xDlSym)(smsgw_vfs *, void *, const char *))(void);
	void (*xDlClose)(smsgw_vfs *, void *);
	int (*xRandomness)(smsgw_vfs *, int, char *);
	int (*xSleep)(smsgw_vfs *, int);
	int (*xCurrentTime)(smsgw_vfs *, double *);
	int (*xGetLastError)(smsgw_vfs *, int, char *);
	int (*xCurrentTimeInt64)(smsgw_vfs *, smsgw_i64 *);
	void *xSetSystemCall;
	void *xGetSystemCall;
	void *xNextSystemCall;
};

extern smsgw_vfs *sqlite3_vfs_find(const char *);
extern int sqlite3_vfs_register(smsgw_vfs *, int);

#define SMSGW_OK 0
#define SMSGW_ERROR 1
#define SMSGW_NOMEM 7
#define SMSGW_OPEN_WAL 0x00080000
#define SMSGW_WAL_FRAME_HDR 24

// walbufCap is the most a log holds before handing it on: 31 frames of
// 4 kB pages, a commit of about six single messages. A larger commit takes
// a few writes; the buffer is C memory kept for the connection's life.
#define walbufCap (128 * 1024)

typedef struct walbufFile {
	smsgw_sqlite3_file base;
	smsgw_sqlite3_file *real; // the unix file, in the memory after this struct
	char *buf;                // walbufCap bytes, allocated on the first write
	int n;                    // bytes held, to go at off
	smsgw_i64 off;
	int commitPage; // the next write is the page of a commit frame
	int synced;     // a sync came after the last frame header
	int hdrEnd;     // the last write was a frame header; 0 otherwise
	smsgw_i64 hdrOff; // where that header ended
	int szPage;     // the page size, once a header and its page are seen
} walbufFile;

static smsgw_vfs *walbufReal;
static smsgw_vfs walbufVfs;
static smsgw_io_methods walbufMethods;

// Totals over every log since the program started, for the tests. Of the
// machine's word size: 32-bit ARM has no 8-byte atomic add without
// libatomic.
static unsigned long walbufCalls, walbufAsked;

static int walbufFlush(walbufFile *f) {
	if (f->n == 0) {
		return SMSGW_OK;
	}
	int n = f->n;
	smsgw_i64 off = f->off;
	f->off += n; // where a write continuing the run would go
	f->n = 0;
	__atomic_add_fetch(&walbufCalls, 1, __ATOMIC_RELAXED);
	return f->real->pMethods->xWrite(f->real, f->buf, n, off);
}

static int walbufWrite(smsgw_sqlite3_file *p, const void *b, int amt, smsgw_i64 off) {
	walbufFile *f = (walbufFile *)p;
	int rc;
	__atomic_add_fetch(&walbufAsked, 1, __ATOMIC_RELAXED);
	// The page size, from a frame header followed by its page, places
	// frame boundaries: at 32 + k * (24 + page size).
	if (f->hdrEnd && off == f->hdrOff && amt >= 512) {
		f->szPage = amt;
	}
	f->hdrEnd = amt == SMSGW_WAL_FRAME_HDR;
	f->hdrOff = off + amt;
	if (f->synced) {
		// After a sync, SQLite may be finishing a commit: without
		// powersafe overwrite, under synchronous = FULL, it repeats the
		// commit frame up to a sector boundary, syncs in the middle of
		// the frame that crosses it, then writes that frame's rest
		// (walWriteToLog), and the wal-index names it. Those writes are
		// handed on at once, up to the header of a frame that does not
		// end a transaction, on a frame boundary: the next transaction's
		// (the rest of a split page may be 24 bytes too, never there).
		if (amt == SMSGW_WAL_FRAME_HDR && f->szPage > 0 && off >= 32 &&
		    (off - 32) % (f->szPage + SMSGW_WAL_FRAME_HDR) == 0) {
			const unsigned char *h = b;
			if ((h[4] | h[5] | h[6] | h[7]) == 0) {
				f->synced = 0;
			}
		}
		if (f->synced) {
			if ((rc = walbufFlush(f)) != SMSGW_OK) {
				return rc;
			}
			__atomic_add_fetch(&walbufCalls, 1, __ATOMIC_RELAXED);
			f->commitPage = 0;
			f->off = off + amt;
			return f->real->pMethods->xWrite(f->real, b, amt, off);
		}
	}
	int continues = off == f->off + f->n;
	if (!continues) {
		f->commitPage = 0;
	}
	if (f->n > 0 && (!continues || f->n + amt > walbufCap)) {
		if ((rc = walbufFlush(f)) != SMSGW_OK) {
			return rc;
		}
	}
	if (f->buf == NULL && amt < walbufCap) {
		f->buf = malloc(walbufCap);
	}
	if (f->buf == NULL || amt >= walbufCap) {
		__atomic_add_fetch(&walbufCalls, 1, __ATOMIC_RELAXED);
		f->commitPage = 0;
		f->off = off + amt;
		return f->real->pMethods->xWrite(f->real, b, amt, off);
	}
	int alone = f->n == 0;
	if (alone) {
		f->off = off;
	}
	memcpy(f->buf + f->n, b, amt);
	f->n += amt;
	if (f->commitPage) {
		// The page of a commit frame: the last write of the commit.
		f->commitPage = 0;
		return walbufFlush(f);
	}
	// A frame header whose "database size after commit" field (bytes 4-7)
	// is not zero is a commit frame's. When SQLite appends it, its page
	// follows at once and ends the commit. It also rewrites the headers
	// of frames of the transaction in place before the commit returns
	// (after pages were spilled into the log), ending on the commit
	// frame's, which then comes alone: handed on now.
	if (amt == SMSGW_WAL_FRAME_HDR) {
		const unsigned char *h = b;
		if ((h[4] | h[5] | h[6] | h[7]) != 0) {
			f->commitPage = 1;
			if (alone) {
				return walbufFlush(f);
			}
		}
	}
	return SMSGW_OK;
}

static int walbufClose(smsgw_sqlite3_file *p) {
	walbufFile *f = (walbufFile *)p;
	// Only an unfinished transaction can be held here: dropping it is
	// what a rollback would do.
	f->n = 0;
	free(f->buf);
	f->buf = NULL;
	return f->real->pMethods->xClose(f->real);
}

#define WALBUF_FLUSHED(call)                               \
	walbufFile *f = (walbufFile *)p;                   \
	int rc = walbufFlush(f);                           \
	if (rc != SMSGW_OK) {                              \
		return rc;                                 \
	}                                                  \
	return call;

static int walbufRead(smsgw_sqlite3_file *p, void *b, int amt, smsgw_i64 off) {
	WALBUF_FLUSHED(f->real->pMethods->xRead(f->real, b, amt, off))
}
static int walbufTruncate(smsgw_sqlite3_file *p, smsgw_i64 size) {
	WALBUF_FLUSHED(f->real->pMethods->xTruncate(f->real, size))
}
static int walbufSync(smsgw_sqlite3_file *p, int flags) {
	((walbufFile *)p)->synced = 1;
	WALBUF_FLUSHED(f->real->pMethods->xSync(f->real, flags))
}
static int walbufFileSize(smsgw_sqlite3_file *p, smsgw_i64 *size) {
	WALBUF_FLUSHED(f->real->pMethods->xFileSize(f->real, size))
}
static int walbufFileControl(smsgw_sqlite3_file *p, int op, void *arg) {
	WALBUF_FLUSHED(f->real->pMethods->xFileControl(f->real, op, arg))
}
static int walbufLock(smsgw_sqlite3_file *p, int l) {
	WALBUF_FLUSHED(f->real->pMethods->xLock(f->real, l))
}
static int walbufUnlock(smsgw_sqlite3_file *p, int l) {
	WALBUF_FLUSHED(f->real->pMethods->xUnlock(f->real, l))
}
static int walbufCheckReservedLock(smsgw_sqlite3_file *p, int *out) {
	WALBUF_FLUSHED(f->real->pMethods->xCheckReservedLock(f->real, out))
}
static int walbufShmMap(smsgw_sqlite3_file *p, int pg, int sz, int extend, void volatile **pp) {
	WALBUF_FLUSHED(f->real->pMethods->xShmMap(f->real, pg, sz, extend, pp))
}
static int walbufShmLock(smsgw_sqlite3_file *p, int off, int n, int flags) {
	WALBUF_FLUSHED(f->real->pMethods->xShmLock(f->real, off, n, flags))
}
static int walbufShmUnmap(smsgw_sqlite3_file *p, int del) {
	WALBUF_FLUSHED(f->real->pMethods->xShmUnmap(f->real, del))
}
static int walbufFetch(smsgw_sqlite3_file *p, smsgw_i64 off, int amt, void **pp) {
	WALBUF_FLUSHED(f->real->pMethods->xFetch(f->real, off, amt, pp))
}
static int walbufUnfetch(smsgw_sqlite3_file *p, smsgw_i64 off, void *pg) {
	WALBUF_FLUSHED(f->real->pMethods->xUnfetch(f->real, off, pg))
}
static void walbufShmBarrier(smsgw_sqlite3_file *p) {
	walbufFile *f = (walbufFile *)p;
	walbufFlush(f); // no way to report; the commit frame flushed already
	f->real->pMethods->xShmBarrier(f->real);
}
static int walbufSectorSize(smsgw_sqlite3_file *p) {
	walbufFile *f = (walbufFile *)p;
	return f->real->pMethods->xSectorSize(f->real);
}
static int walbufDeviceCharacteristics(smsgw_sqlite3_file *p) {
	walbufFile *f = (walbufFile *)p;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int walbufOpen(smsgw_vfs *vfs, const char *name, smsgw_sqlite3_file *p, int flags, int *outFlags) {
	(void)vfs;
	if (!(flags & SMSGW_OPEN_WAL)) {
		return walbufReal->xOpen(walbufReal, name, p, flags, outFlags);
	}
	walbufFile *f = (walbufFile *)p;
	memset(f, 0, sizeof(*f));
	f->real = (smsgw_sqlite3_file *)(f + 1);
	int rc = walbufReal->xOpen(walbufReal, name, f->real, flags, outFlags);
	if (f->real->pMethods == NULL) {
		// Not opened: SQLite calls no method of p.
		p->pMethods = NULL;
		return rc;
	}
	p->pMethods = &walbufMethods;
	return rc;
}

// smsgw_walbuf_register registers the VFS as "smsgw-walbuf", once; 0 on
// success. The caller serialises calls.
static int walbufRegistered;
int smsgw_walbuf_register(void) {
	if (walbufRegistered) {
		return SMSGW_OK;
	}
	walbufReal = sqlite3_vfs_find("unix");
	if (walbufReal == NULL || walbufReal->iVersion < 3) {
		return SMSGW_ERROR;
	}
	walbufMethods = (smsgw_io_methods){
		.iVersion = 3,
		.xClose = walbufClose,
		.xRead = walbufRead,
		.xWrite = walbufWrite,
		.xTruncate = walbufTruncate,
		.xSync = walbufSync,
		.xFileSize = walbufFileSize,
		.xLock = walbufLock,
		.xUnlock = walbufUnlock,
		.xCheckReservedLock = walbufCheckReservedLock,
		.xFileControl = walbufFileControl,
		.xSectorSize = walbufSectorSize,
		.xDeviceCharacteristics = walbufDeviceCharacteristics,
		.xShmMap = walbufShmMap,
		.xShmLock = walbufShmLock,
		.xShmBarrier = walbufShmBarrier,
		.xShmUnmap = walbufShmUnmap,
		.xFetch = walbufFetch,
		.xUnfetch = walbufUnfetch,
	};
	// Every other method is unix's, called with a copy of its own struct
	// (the same pAppData and sizes), so it behaves as it does for unix.
	walbufVfs = *walbufReal;
	walbufVfs.pNext = NULL;
	walbufVfs.zName = "smsgw-walbuf";
	walbufVfs.szOsFile = (int)sizeof(walbufFile) + walbufReal->szOsFile;
	walbufVfs.xOpen = walbufOpen;
	int rc = sqlite3_vfs_register(&walbufVfs, 0);
	if (rc == SMSGW_OK) {
		walbufRegistered = 1;
	}
	return rc;
}

// smsgw_walbuf_counts reports the log writes asked for and handed on.
void smsgw_walbuf_counts(unsigned long *asked, unsigned long *calls) {
	*asked = __atomic_load_n(&walbufAsked, __ATOMIC_RELAXED);
	*calls = __atomic_load_n(&walbufCalls, __ATOMIC_RELAXED);
}
