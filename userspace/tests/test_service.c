// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemons under systemd: log lines with the journal's priority prefix
 * when stderr is the journal's stream, and the KEK credential turned into
 * a kernel key of the session keyring.
 */
#include <errno.h>
#include <fcntl.h>
#include <keyutils.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "service.h"
#include "tap.h"

/* Log one warning with stderr on a file; return what was written. */
static char *log_to_file(bool journal, char *buf, size_t size)
{
	char path[] = "/tmp/cpns-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat st;
	char env[64];
	ssize_t n;

	unlink(path);
	fstat(fd, &st);
	snprintf(env, sizeof(env), "%llu:%llu",
		 (unsigned long long)st.st_dev,
		 (unsigned long long)(journal ? st.st_ino : st.st_ino + 1));
	setenv("JOURNAL_STREAM", env, 1);
	dup2(fd, STDERR_FILENO);
	cpns_log_open("test", CPNS_LOG_STDERR, CPNS_LOG_INFO);
	cpns_warn("disk %s", "full");
	cpns_debug("not shown");
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, buf, size - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unsetenv("JOURNAL_STREAM");
	return buf;
}

static void test_journal(void)
{
	char buf[256];

	log_to_file(true, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "<4>disk full\n"),
	       "log: on the journal's stream a line is <priority>text: %.*s",
	       (int)strcspn(buf, "\n"), buf);
	log_to_file(false, buf, sizeof(buf));
	tap_ok(strstr(buf, " test[") && strstr(buf, "warning: disk full\n") &&
	       buf[0] != '<',
	       "log: another stream gets the time and ident: %.*s",
	       (int)strcspn(buf, "\n"), buf);
}

/* A credentials directory holding @name with @len bytes of @c. */
static void make_cred(char *dir, const char *name, unsigned char c,
		      size_t len)
{
	unsigned char bytes[64];
	char path[128];
	int fd;

	memset(bytes, c, sizeof(bytes));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0400);
	if (fd < 0 || write(fd, bytes, len) != (ssize_t)len)
		tap_diag("cannot write %s: %s", path, strerror(errno));
	close(fd);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
}

static void make_credential(char *dir, unsigned char c, size_t len)
{
	make_cred(dir, "kek", c, len);
}

static void test_kek(void)
{
	char dir[] = "/tmp/cpns-test-cred.XXXXXX", path[128], desc[64];
	unsigned char back[64];
	key_serial_t key;
	long n;

	unsetenv("CREDENTIALS_DIRECTORY");
	tap_ok(cpns_service_kek(NULL, NULL) == 0,
	       "kek: no credentials directory: nothing to do");
	if (!mkdtemp(dir)) {
		tap_ok(false, "kek: mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(desc, sizeof(desc), "cpns:test-kek-%d", (int)getpid());
	make_credential(dir, 0xa5, 32);
	tap_ok(cpns_service_kek("logon", desc) == 0,
	       "kek: a 32-byte credential is added");
	key = keyctl_search(KEY_SPEC_SESSION_KEYRING, "logon", desc, 0);
	n = key < 0 ? -1 : keyctl_read(key, (char *)back, sizeof(back));
	tap_ok(key >= 0 && n < 0 && errno == EOPNOTSUPP,
	       "kek: the session keyring holds it as logon:%s, unreadable",
	       desc);
	if (key >= 0)
		keyctl_unlink(key, KEY_SPEC_SESSION_KEYRING);
	tap_ok(cpns_service_kek("user", desc) == -1 &&
	       keyctl_search(KEY_SPEC_SESSION_KEYRING, "user", desc, 0) < 0,
	       "kek: a user key (readable payload) is refused, nothing added");

	tap_ok(cpns_service_kek(NULL, NULL) == -1,
	       "kek: a credential without kek in the configuration is refused");
	tap_ok(cpns_service_kek("trusted", desc) == -1,
	       "kek: a trusted key cannot be made from bytes");
	make_credential(dir, 0x5a, 31);
	tap_ok(cpns_service_kek("logon", desc) == -1 &&
	       keyctl_search(KEY_SPEC_SESSION_KEYRING, "logon", desc, 0) < 0,
	       "kek: 31 bytes are refused and nothing is added");

	snprintf(path, sizeof(path), "%s/kek", dir);
	unlink(path);
	tap_ok(cpns_service_kek("logon", desc) == 0,
	       "kek: a directory without kek: nothing to do");
	rmdir(dir);
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* seed_pairing_key and pairing_key come the same way, by their names. */
static void test_pairing(void)
{
	char dir[] = "/tmp/cpns-test-cred.XXXXXX", path[128], desc[64];
	key_serial_t key;

	if (!mkdtemp(dir)) {
		tap_ok(false, "pairing: mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(desc, sizeof(desc), "cpns:test-seed-pair-%d", (int)getpid());
	make_cred(dir, "seed-pairing", 0x3c, 32);
	tap_ok(cpns_service_pairing("pairing", NULL, NULL) == 0,
	       "pairing: no credential pairing: nothing to do");
	tap_ok(cpns_service_pairing("seed-pairing", NULL, NULL) == -1,
	       "pairing: a credential seed-pairing without seed_pairing_key is refused");
	tap_ok(cpns_service_pairing("seed-pairing", "logon", desc) == 0,
	       "pairing: the credential seed-pairing is added");
	key = keyctl_search(KEY_SPEC_SESSION_KEYRING, "logon", desc, 0);
	tap_ok(key >= 0, "pairing: the session keyring holds logon:%s", desc);
	if (key >= 0)
		keyctl_unlink(key, KEY_SPEC_SESSION_KEYRING);
	tap_ok(cpns_service_pairing("other", "logon", desc) == -1,
	       "pairing: an unknown credential name is an error");
	snprintf(path, sizeof(path), "%s/seed-pairing", dir);
	unlink(path);
	rmdir(dir);
	unsetenv("CREDENTIALS_DIRECTORY");
}

int main(void)
{
	test_journal();
	test_kek();
	test_pairing();
	return tap_done();
}
