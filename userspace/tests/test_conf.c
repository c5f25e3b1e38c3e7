// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The configuration file parser and the address syntax (lib/daemon/conf.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

static const char *const colours[] = { "red", "green", "blue", NULL };

static const struct cpns_conf_key schema[] = {
	{ .name = "listen", .type = CPNS_CONF_ADDR, .repeat = true,
	  .required = true },
	{ .name = "count", .type = CPNS_CONF_UINT, .min = 1, .max = 100,
	  .def = "7" },
	{ .name = "big", .type = CPNS_CONF_UINT, .max = UINT64_MAX },
	{ .name = "flag", .type = CPNS_CONF_BOOL, .def = "no" },
	{ .name = "colour", .type = CPNS_CONF_ENUM, .choices = colours,
	  .def = "green" },
	{ .name = "text", .type = CPNS_CONF_STRING },
	{ .section = "gw", .name = "name", .type = CPNS_CONF_NAME },
	{ .section = "gw", .name = "file", .type = CPNS_CONF_PATH },
	{ .section = "gw", .name = "count", .type = CPNS_CONF_UINT },
	{ .section = "other", .name = "x", .type = CPNS_CONF_UINT },
	{ .name = NULL }
};

/* Parse text; on failure return the error message (static). */
static const char *parse(const char *text, struct cpns_conf **out)
{
	static char err[256];
	int ret;

	err[0] = '\0';
	ret = cpns_conf_parse(text, "t.conf", schema, out, err, sizeof(err));
	if (ret && *out)
		return "error, but a configuration was returned";
	if (ret && !err[0])
		return "error without a message";
	return ret ? err : NULL;
}

/* The text must fail with exactly this message. */
static void refuse(const char *text, const char *want, const char *what)
{
	struct cpns_conf *c = (void *)1;
	const char *got = parse(text, &c);

	if (!tap_ok(got && !strcmp(got, want), "conf: %s", what))
		tap_diag("want \"%s\", got \"%s\"", want, got ? got : "(ok)");
	if (!got)
		cpns_conf_free(c);
}

static void test_valid(void)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"  listen = 10.0.0.1:4739  \n"
		"listen=[fd00::1]:80\n"
		"\t# indented comment\n"
		"listen = *:1\n"
		"count = 100\n"
		"big = 18446744073709551615\n"
		"flag = on\n"
		"text = hello # not a comment\n"
		"[gw]\n"
		"name = gw-1.example\n"
		"file = /etc/x\n"
		"count = 0\n"
		"[ other ]\n"
		"x = 3";
	const struct cpns_conf_value *v;
	struct cpns_conf *c = NULL;
	const char *err = parse(text, &c);
	char buf[CPNS_ADDR_STRLEN];

	if (!tap_ok(!err, "conf: a valid file parses")) {
		tap_diag("%s", err);
		return;
	}
	tap_ok(cpns_conf_count(c, NULL, "listen") == 3,
	       "conf: a repeated key keeps every value");
	v = cpns_conf_get(c, NULL, "listen", 0);
	tap_ok(v && v->line == 3 && v->addr.ss_family == AF_INET &&
	       !strcmp(cpns_addr_str((void *)&v->addr, v->addrlen, buf,
				     sizeof(buf)), "10.0.0.1:4739") &&
	       !strcmp(v->text, "10.0.0.1:4739"),
	       "conf: IPv4 address, its line and text (blanks trimmed)");
	v = cpns_conf_get(c, NULL, "listen", 1);
	tap_ok(v && v->addr.ss_family == AF_INET6 &&
	       !strcmp(cpns_addr_str((void *)&v->addr, v->addrlen, buf,
				     sizeof(buf)), "[fd00::1]:80"),
	       "conf: IPv6 address without blanks around '='");
	v = cpns_conf_get(c, NULL, "listen", 2);
	tap_ok(v && !strcmp(cpns_addr_str((void *)&v->addr, v->addrlen, buf,
					  sizeof(buf)), "0.0.0.0:1"),
	       "conf: *:PORT is the IPv4 any address");
	tap_ok(!cpns_conf_get(c, NULL, "listen", 3), "conf: no fourth value");
	tap_ok(cpns_conf_uint(c, NULL, "count") == 100,
	       "conf: number at its maximum");
	tap_ok(cpns_conf_uint(c, NULL, "big") == UINT64_MAX,
	       "conf: the largest 64-bit number");
	tap_ok(cpns_conf_bool(c, NULL, "flag"), "conf: boolean 'on'");
	tap_ok(cpns_conf_enum(c, NULL, "colour") == 1 &&
	       !strcmp(cpns_conf_str(c, NULL, "colour"), "green") &&
	       cpns_conf_get(c, NULL, "colour", 0)->line == 0,
	       "conf: an absent key has its default (line 0)");
	tap_ok(!strcmp(cpns_conf_str(c, NULL, "text"), "hello # not a comment"),
	       "conf: '#' inside a value is part of it");
	tap_ok(!strcmp(cpns_conf_str(c, "gw", "name"), "gw-1.example") &&
	       !strcmp(cpns_conf_str(c, "gw", "file"), "/etc/x"),
	       "conf: keys of a section");
	tap_ok(cpns_conf_uint(c, "gw", "count") == 0 &&
	       cpns_conf_uint(c, NULL, "count") == 100,
	       "conf: the same key name in two sections is two keys");
	tap_ok(cpns_conf_uint(c, "other", "x") == 3 &&
	       cpns_conf_has_section(c, "other") &&
	       cpns_conf_has_section(c, "gw"),
	       "conf: a section header with blanks inside the brackets");
	tap_ok(!strcmp(cpns_conf_str(c, NULL, "big"), "18446744073709551615") &&
	       cpns_conf_count(c, "other", "x") == 1,
	       "conf: text of a number, count of a single key");
	cpns_conf_free(c);

	c = NULL;
	err = parse("listen = 1.2.3.4:5\n", &c);
	tap_ok(!err && !cpns_conf_str(c, NULL, "text") &&
	       cpns_conf_count(c, NULL, "text") == 0 &&
	       cpns_conf_enum(c, NULL, "colour") == 1 &&
	       !cpns_conf_has_section(c, "gw") &&
	       cpns_conf_uint(c, NULL, "count") == 7,
	       "conf: absent keys: defaults, or nothing");
	cpns_conf_free(c);
}

static void test_errors(void)
{
	refuse("listen = 1.2.3.4:5\nlisen = 1\n", "t.conf:2: unknown key 'lisen'",
	       "unknown key, with file and line");
	refuse("listen = 1.2.3.4:5\n[gw]\nx = 1\n",
	       "t.conf:3: unknown key 'x' in section [gw]",
	       "a key of another section");
	refuse("[nope]\n", "t.conf:1: unknown section [nope]",
	       "unknown section");
	refuse("[gw\n", "t.conf:1: expected [section] alone on the line",
	       "unclosed section header");
	refuse("[gw] x\n", "t.conf:1: expected [section] alone on the line",
	       "text after a section header");
	refuse("[]\n", "t.conf:1: bad section name ''", "empty section name");
	refuse("listen = 1.2.3.4:5\n[gw]\n[other]\n[gw]\n",
	       "t.conf:4: section [gw] appears twice", "section twice");
	refuse("listen = 1.2.3.4:5\ncount\n", "t.conf:2: expected 'key = value'",
	       "a line without '='");
	refuse("listen = 1.2.3.4:5\nCount = 1\n", "t.conf:2: bad key 'Count'",
	       "keys are lower case");
	refuse("listen = 1.2.3.4:5\n= 1\n", "t.conf:2: bad key ''",
	       "a line without key");
	refuse("listen = 1.2.3.4:5\ncount =\n",
	       "t.conf:2: count: empty value (expected a number)",
	       "an empty value");
	refuse("listen = 1.2.3.4:5\ncount = 1\ncount = 2\n",
	       "t.conf:3: 'count' given more than once",
	       "a repeated key that is not repeatable");
	refuse("count = 1\n", "t.conf: missing 'listen'",
	       "a missing required key");
	refuse("listen = 1.2.3.4:5\ncount = 101\n",
	       "t.conf:2: count: 101 is out of range 1..100", "above max");
	refuse("listen = 1.2.3.4:5\ncount = 0\n",
	       "t.conf:2: count: 0 is out of range 1..100", "below min");
	refuse("listen = 1.2.3.4:5\ncount = -1\n",
	       "t.conf:2: count: '-1' is not a decimal number", "negative");
	refuse("listen = 1.2.3.4:5\ncount = 0x10\n",
	       "t.conf:2: count: '0x10' is not a decimal number", "hex");
	refuse("listen = 1.2.3.4:5\ncount = 5 s\n",
	       "t.conf:2: count: '5 s' is not a decimal number", "a unit");
	refuse("listen = 1.2.3.4:5\nbig = 18446744073709551616\n",
	       "t.conf:2: big: 18446744073709551616 is out of range 0..18446744073709551615",
	       "64-bit overflow");
	refuse("listen = 1.2.3.4:5\nflag = maybe\n",
	       "t.conf:2: flag: 'maybe' is not yes or no", "boolean");
	refuse("listen = 1.2.3.4:5\ncolour = Red\n",
	       "t.conf:2: colour: 'Red' is not one of: red, green, blue",
	       "choice (case matters)");
	refuse("listen = 1.2.3.4:5\n[gw]\nname = -gw\n",
	       "t.conf:3: name: '-gw' is not a host name (1 to 64 of A-Z a-z 0-9 . _ -, first a letter or digit)",
	       "host name");
	refuse("listen = 1.2.3.4:5\n[gw]\nfile = etc/x\n",
	       "t.conf:3: file: 'etc/x' is not an absolute path", "path");
	refuse("listen = 1.2.3.4:5\ntext = a\rb\n",
	       "t.conf:2: control character 0x0d", "a control character");
	{
		char *long_line = malloc(1100);

		memset(long_line, 'a', 1099);
		long_line[1099] = '\0';
		memcpy(long_line, "text = ", 7);
		refuse(long_line, "t.conf:1: line longer than 1024 bytes",
		       "a line too long");
		free(long_line);
	}
}

struct addr_case {
	const char *in;
	const char *out;	/* NULL: refused */
};

static void test_addrs(void)
{
	static const struct addr_case cases[] = {
		{ "127.0.0.1:80", "127.0.0.1:80" },
		{ "[::1]:65535", "[::1]:65535" },
		{ "[::]:1", "[::]:1" },
		{ "*:4739", "0.0.0.0:4739" },
		{ "[fe80::1%lo]:7", NULL },	/* scope: checked below */
		{ "127.0.0.1", NULL },
		{ "127.0.0.1:", NULL },
		{ "127.0.0.1:0", NULL },
		{ "127.0.0.1:65536", NULL },
		{ "127.0.0.1:+80", NULL },
		{ "256.0.0.1:80", NULL },
		{ "1.2.3:80", NULL },
		{ "host.example:80", NULL },
		{ ":80", NULL },
		{ "::1:80", NULL },
		{ "[::1]80", NULL },
		{ "[::1]", NULL },
		{ "[]:80", NULL },
		{ "[1.2.3.4]:80", NULL },
		{ "[::1%nosuchif0]:80", NULL },
	};
	struct sockaddr_storage ss;
	char buf[CPNS_ADDR_STRLEN], err[128];
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct addr_case *t = &cases[i];
		int ret;

		if (!strcmp(t->in, "[fe80::1%lo]:7"))
			continue;
		err[0] = '\0';
		ret = cpns_addr_parse(t->in, &ss, &len, err, sizeof(err));
		if (t->out)
			tap_ok(!ret && !strcmp(cpns_addr_str((void *)&ss, len,
							     buf, sizeof(buf)),
					       t->out),
			       "addr: '%s' -> %s", t->in, t->out);
		else
			tap_ok(ret == -EINVAL && err[0],
			       "addr: '%s' refused: %s", t->in, err);
	}
	tap_ok(!cpns_addr_parse("[fe80::1%lo]:7", &ss, &len, err,
				sizeof(err)) &&
	       ((struct sockaddr_in6 *)&ss)->sin6_scope_id != 0 &&
	       strstr(cpns_addr_str((void *)&ss, len, buf, sizeof(buf)),
		      "]:7"),
	       "addr: a link-local address with an interface: %s", buf);
}

/* HOST:PORT of a peer: a host name, IPv4 or [IPv6], nothing resolved. */
static void test_peers(void)
{
	static const struct {
		const char *in;
		const char *host;	/* NULL: refused */
		unsigned int port;
		bool numeric;
		const char *str;
	} cases[] = {
		{ "cpns.example.net:61740", "cpns.example.net", 61740, false,
		  "cpns.example.net:61740" },
		{ "Server-1:1", "Server-1", 1, false, "Server-1:1" },
		{ "gw1.example.:7", "gw1.example.", 7, false, "gw1.example.:7" },
		{ "localhost:65535", "localhost", 65535, false,
		  "localhost:65535" },
		{ "192.0.2.1:61740", "192.0.2.1", 61740, true,
		  "192.0.2.1:61740" },
		{ "[2001:db8::1]:61740", "2001:db8::1", 61740, true,
		  "[2001:db8::1]:61740" },
		{ "[::1]:7", "::1", 7, true, "[::1]:7" },
		{ "256.0.0.1:80", NULL, 0, false, NULL },
		{ "1.2.3:80", NULL, 0, false, NULL },
		{ "host.example", NULL, 0, false, NULL },
		{ "host.example:0", NULL, 0, false, NULL },
		{ "host.example:65536", NULL, 0, false, NULL },
		{ "-host.example:80", NULL, 0, false, NULL },
		{ "host-.example:80", NULL, 0, false, NULL },
		{ "host..example:80", NULL, 0, false, NULL },
		{ ".example:80", NULL, 0, false, NULL },
		{ "host_1.example:80", NULL, 0, false, NULL },
		{ "*:80", NULL, 0, false, NULL },
		{ ":80", NULL, 0, false, NULL },
		{ "::1:80", NULL, 0, false, NULL },
		{ "[host.example]:80", NULL, 0, false, NULL },
		{ "[::1]80", NULL, 0, false, NULL },
	};
	char err[256], longname[300];
	struct cpns_peer p;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ret = cpns_peer_parse(cases[i].in, &p, err, sizeof(err));
		if (cases[i].host)
			tap_ok(!ret && !strcmp(p.host, cases[i].host) &&
			       p.port == cases[i].port &&
			       p.numeric == cases[i].numeric &&
			       !strcmp(p.str, cases[i].str),
			       "peer: '%s' -> host %s port %u%s", cases[i].in,
			       cases[i].host, cases[i].port,
			       cases[i].numeric ? " (numeric)" : "");
		else
			tap_ok(ret == -EINVAL && err[0],
			       "peer: '%s' refused: %s", cases[i].in, err);
	}

	/* 63-byte labels, 253 bytes in all: the longest name. */
	memset(longname, 'a', sizeof(longname));
	for (i = 63; i < 253; i += 64)
		longname[i] = '.';
	snprintf(longname + 253, sizeof(longname) - 253, ":80");
	tap_ok(!cpns_peer_parse(longname, &p, err, sizeof(err)) &&
	       strlen(p.host) == 253,
	       "peer: a 253-byte name of 63-byte labels");
	longname[63] = 'a';
	tap_ok(cpns_peer_parse(longname, &p, err, sizeof(err)) == -EINVAL,
	       "peer: a 64-byte label refused: %s", err);
	memset(longname, 'a', sizeof(longname));
	for (i = 63; i < 280; i += 64)
		longname[i] = '.';
	snprintf(longname + 280, sizeof(longname) - 280, ":80");
	tap_ok(cpns_peer_parse(longname, &p, err, sizeof(err)) == -EINVAL,
	       "peer: a 280-byte name refused: %s", err);

	/* As a schema type: the error names file, line and key. */
	{
		static const struct cpns_conf_key pschema[] = {
			{ .name = "server", .type = CPNS_CONF_PEER },
			{ .name = NULL }
		};
		struct cpns_conf *c = NULL;

		ret = cpns_conf_parse("server = cpns.example.net:61740\n",
				      "p.conf", pschema, &c, err, sizeof(err));
		tap_ok(!ret && c &&
		       !strcmp(cpns_conf_str(c, NULL, "server"),
			       "cpns.example.net:61740"),
		       "peer: a host name in a configuration");
		cpns_conf_free(c);
		c = NULL;
		ret = cpns_conf_parse("server = 300.1.1.1:61740\n", "p.conf",
				      pschema, &c, err, sizeof(err));
		tap_ok(ret == -EINVAL && !c && strstr(err, "p.conf:1:") &&
		       strstr(err, "bad IPv4 address"),
		       "peer: a bad IPv4 address in a configuration: %s", err);
	}
}

static void test_load(void)
{
	char path[] = "/tmp/cpns-test-conf.XXXXXX";
	struct cpns_conf *c = NULL;
	char err[256];
	int fd, ret;

	ret = cpns_conf_load("/nonexistent/cpns.conf", schema, &c, err,
			     sizeof(err));
	tap_ok(ret == -ENOENT && !c &&
	       !strcmp(err, "/nonexistent/cpns.conf: No such file or directory"),
	       "conf: a missing file: %s", err);

	fd = mkstemp(path);
	if (fd < 0) {
		tap_skip("mkstemp failed", "conf: load from a file");
		return;
	}
	ret = write(fd, "listen = 1.2.3.4:5\ncount = 9\n", 29) == 29 ? 0 : -1;
	ret = ret ? ret : cpns_conf_load(path, schema, &c, err, sizeof(err));
	tap_ok(!ret && c && cpns_conf_uint(c, NULL, "count") == 9,
	       "conf: load a file");
	cpns_conf_free(c);
	c = NULL;

	if (write(fd, "text = a\0b\n", 11) == 11) {
		ret = cpns_conf_load(path, schema, &c, err, sizeof(err));
		tap_ok(ret == -EINVAL && !c && strstr(err, "NUL byte"),
		       "conf: a NUL byte in the file: %s", err);
	}
	close(fd);
	unlink(path);

	ret = cpns_conf_load("/tmp", schema, &c, err, sizeof(err));
	tap_ok(ret && !c, "conf: a directory is refused: %s", err);
}

static void test_bad_default(void)
{
	static const struct cpns_conf_key bad[] = {
		{ .name = "n", .type = CPNS_CONF_UINT, .max = 5, .def = "9" },
		{ .name = NULL }
	};
	struct cpns_conf *c = NULL;
	char err[128];

	tap_ok(cpns_conf_parse("", "t.conf", bad, &c, err, sizeof(err)) ==
	       -EINVAL && !c &&
	       !strcmp(err, "t.conf: default of 'n': 9 is out of range 0..5"),
	       "conf: a schema whose default breaks its own rule is refused");
}

int main(void)
{
	test_valid();
	test_errors();
	test_addrs();
	test_peers();
	test_load();
	test_bad_default();
	return tap_done();
}
