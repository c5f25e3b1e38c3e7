// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemons' configuration file (Documentation/cpns.conf.rst): "key =
 * value" lines in optional [sections], checked against a schema of known
 * keys. Everything is checked when the file is read, so a daemon that
 * started has a configuration with no surprise in it, and every error
 * names the file and line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

#define CONF_LINE_MAX	1024		/* bytes of one line */
#define CONF_FILE_MAX	(1024 * 1024)	/* bytes of one file */

struct conf_entry {
	size_t key;			/* index into the schema */
	struct cpns_conf_value v;	/* v.text is owned (strdup) */
};

struct cpns_conf {
	const struct cpns_conf_key *schema;
	size_t nkeys;
	struct conf_entry *e;
	size_t n;
	size_t cap;
	struct cpns_conf_value *defs;	/* one per key; text NULL: none */
	char **sections;		/* headers seen */
	size_t nsections;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	CPNS_PRINTF(3, 4);

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool same_section(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

/* ------------------------------------------------------------ addresses */

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (!v)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int cpns_addr_parse(const char *s, struct sockaddr_storage *ss,
		    socklen_t *len, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	const char *colon, *end;
	uint16_t port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		char *pct;

		end = strchr(s, ']');
		if (!end || end[1] != ':') {
			seterr(err, errlen,
			       "'%s': expected [IPv6]:PORT", s);
			return -EINVAL;
		}
		hlen = (size_t)(end - s - 1);
		if (!hlen || hlen >= sizeof(host)) {
			seterr(err, errlen, "'%s': bad IPv6 address", s);
			return -EINVAL;
		}
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		pct = strchr(host, '%');
		if (pct) {
			*pct++ = '\0';
			sin6->sin6_scope_id = if_nametoindex(pct);
			if (!sin6->sin6_scope_id) {
				seterr(err, errlen,
				       "'%s': unknown interface '%s'", s, pct);
				return -EINVAL;
			}
		}
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			seterr(err, errlen, "'%s': bad IPv6 address", s);
			return -EINVAL;
		}
		if (parse_port(end + 2, &port)) {
			seterr(err, errlen, "'%s': port must be 1..65535", s);
			return -EINVAL;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}

	colon = strrchr(s, ':');
	if (!colon) {
		seterr(err, errlen,
		       "'%s': expected ADDR:PORT or [IPv6]:PORT", s);
		return -EINVAL;
	}
	hlen = (size_t)(colon - s);
	if (!hlen || hlen >= sizeof(host) || memchr(s, ':', hlen)) {
		seterr(err, errlen,
		       "'%s': expected ADDR:PORT (IPv6 in brackets)", s);
		return -EINVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (strcmp(host, "*") &&
		    inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			seterr(err, errlen,
			       "'%s': bad IPv4 address '%s'", s, host);
			return -EINVAL;
		}
		if (parse_port(colon + 1, &port)) {
			seterr(err, errlen, "'%s': port must be 1..65535", s);
			return -EINVAL;
		}
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	}
	return 0;
}

/*
 * A host name as RFC 1123 allows it: dot-separated labels of letters,
 * digits and '-' (not first or last), 1 to 63 bytes each, at most
 * CPNS_HOST_MAX bytes in all; one trailing dot (the root) is allowed.
 */
static bool host_name_ok(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (!len || len > CPNS_HOST_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
		if (ch == '-' && !label)
			return false;
		if (++label > 63)
			return false;
	}
	return !label || s[len - 1] != '-';
}

int cpns_peer_parse(const char *s, struct cpns_peer *p, char *err,
		    size_t errlen)
{
	struct sockaddr_storage ss;
	const char *colon;
	socklen_t len;
	size_t hlen;

	memset(p, 0, sizeof(*p));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		/* A bracketed host is an IPv6 address, numeric. */
		if (cpns_addr_parse(s, &ss, &len, err, errlen))
			return -EINVAL;
		hlen = (size_t)(end - s - 1);
		memcpy(p->host, s + 1, hlen);
		p->host[hlen] = '\0';
		p->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		p->numeric = true;
		cpns_addr_str((struct sockaddr *)&ss, len, p->str,
			      sizeof(p->str));
		return 0;
	}
	colon = strrchr(s, ':');
	hlen = colon ? (size_t)(colon - s) : 0;
	if (!colon || !hlen || memchr(s, ':', hlen)) {
		seterr(err, errlen,
		       "'%s': expected HOST:PORT (a host name, an IPv4 address, or an IPv6 address in brackets)",
		       s);
		return -EINVAL;
	}
	if (hlen > CPNS_HOST_MAX) {
		seterr(err, errlen, "'%s': host longer than %d bytes", s,
		       CPNS_HOST_MAX);
		return -EINVAL;
	}
	memcpy(p->host, s, hlen);
	p->host[hlen] = '\0';
	if (strspn(p->host, "0123456789.") == hlen) {
		/* Digits and dots only: an IPv4 address, or a typo. */
		if (cpns_addr_parse(s, &ss, &len, err, errlen))
			return -EINVAL;
		p->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		p->numeric = true;
		cpns_addr_str((struct sockaddr *)&ss, len, p->str,
			      sizeof(p->str));
		return 0;
	}
	if (!host_name_ok(p->host)) {
		seterr(err, errlen,
		       "'%s': bad host name '%s' (labels of A-Z a-z 0-9 and '-', dot-separated)",
		       s, p->host);
		return -EINVAL;
	}
	if (parse_port(colon + 1, &p->port)) {
		seterr(err, errlen, "'%s': port must be 1..65535", s);
		return -EINVAL;
	}
	snprintf(p->str, sizeof(p->str), "%s:%u", p->host, p->port);
	return 0;
}

const char *cpns_addr_str(const struct sockaddr *sa, socklen_t len,
			  char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET &&
	    len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, buflen, "%s:%u", host, ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
		   len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (sin6->sin6_scope_id)
			snprintf(buf, buflen, "[%s%%%u]:%u", host,
				 sin6->sin6_scope_id, ntohs(sin6->sin6_port));
		else
			snprintf(buf, buflen, "[%s]:%u", host,
				 ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, buflen, "(family %u)", sa->sa_family);
	}
	return buf;
}

/* ---------------------------------------------------------------- values */

static const char *type_name(enum cpns_conf_type t)
{
	switch (t) {
	case CPNS_CONF_STRING:
		return "a string";
	case CPNS_CONF_UINT:
		return "a number";
	case CPNS_CONF_BOOL:
		return "yes or no";
	case CPNS_CONF_ENUM:
		return "a choice";
	case CPNS_CONF_ADDR:
		return "an address";
	case CPNS_CONF_PEER:
		return "a host and port";
	case CPNS_CONF_NAME:
		return "a host name";
	case CPNS_CONF_PATH:
		return "an absolute path";
	}
	return "?";
}

/*
 * Check text as a value of k and fill v (but not v->text or v->line). On
 * error write "what is wrong" (without file or key) to err.
 */
static int parse_uint(const struct cpns_conf_key *k, const char *text,
		      struct cpns_conf_value *v, char *err, size_t errlen)
{
	uint64_t max = k->max ? k->max : UINT32_MAX, u = 0;
	bool over = false;
	const char *p;

	for (p = text; *p; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (*p < '0' || *p > '9') {
			seterr(err, errlen, "'%s' is not a decimal number",
			       text);
			return -EINVAL;
		}
		if (u > (UINT64_MAX - d) / 10)
			over = true;
		else
			u = u * 10 + d;
	}
	if (over || u < k->min || u > max) {
		seterr(err, errlen, "%s is out of range %llu..%llu", text,
		       (unsigned long long)k->min, (unsigned long long)max);
		return -EINVAL;
	}
	v->u = u;
	return 0;
}

static int parse_bool(const char *text, struct cpns_conf_value *v,
		      char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	size_t i;

	for (i = 0; yes[i]; i++) {
		if (!strcmp(text, yes[i])) {
			v->u = 1;
			return 0;
		}
		if (!strcmp(text, no[i])) {
			v->u = 0;
			return 0;
		}
	}
	seterr(err, errlen, "'%s' is not yes or no", text);
	return -EINVAL;
}

static int parse_enum(const struct cpns_conf_key *k, const char *text,
		      struct cpns_conf_value *v, char *err, size_t errlen)
{
	char list[256] = "";
	size_t i, n = 0;

	for (i = 0; k->choices && k->choices[i]; i++) {
		if (!strcmp(text, k->choices[i])) {
			v->u = i;
			return 0;
		}
	}
	for (i = 0; k->choices && k->choices[i]; i++) {
		int r = snprintf(list + n, sizeof(list) - n, "%s%s",
				 i ? ", " : "", k->choices[i]);

		if (r < 0 || (size_t)r >= sizeof(list) - n)
			break;
		n += (size_t)r;
	}
	seterr(err, errlen, "'%s' is not one of: %s", text, list);
	return -EINVAL;
}

static int parse_value(const struct cpns_conf_key *k, const char *text,
		       struct cpns_conf_value *v, char *err, size_t errlen)
{
	struct cpns_wire_name name;
	struct cpns_peer peer;

	if (!*text) {
		seterr(err, errlen, "empty value (expected %s)",
		       type_name(k->type));
		return -EINVAL;
	}
	switch (k->type) {
	case CPNS_CONF_STRING:
		return 0;	/* the line reader refused control characters */
	case CPNS_CONF_PATH:
		if (text[0] != '/') {
			seterr(err, errlen, "'%s' is not an absolute path",
			       text);
			return -EINVAL;
		}
		return 0;
	case CPNS_CONF_UINT:
		return parse_uint(k, text, v, err, errlen);
	case CPNS_CONF_BOOL:
		return parse_bool(text, v, err, errlen);
	case CPNS_CONF_ENUM:
		return parse_enum(k, text, v, err, errlen);
	case CPNS_CONF_ADDR:
		return cpns_addr_parse(text, &v->addr, &v->addrlen, err,
				       errlen);
	case CPNS_CONF_PEER:
		return cpns_peer_parse(text, &peer, err, errlen);
	case CPNS_CONF_NAME:
		if (cpns_wire_name_set(&name, text)) {
			seterr(err, errlen,
			       "'%s' is not a host name (1 to %d of A-Z a-z 0-9 . _ -, first a letter or digit)",
			       text, CPNS_WIRE_NAME_MAX);
			return -EINVAL;
		}
		return 0;
	}
	seterr(err, errlen, "key of unknown type");
	return -EINVAL;
}

/* ---------------------------------------------------------------- schema */

static ssize_t find_key(const struct cpns_conf_key *schema, size_t nkeys,
			const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (same_section(schema[i].section, section) &&
		    !strcmp(schema[i].name, name))
			return (ssize_t)i;
	return -1;
}

static bool known_section(const struct cpns_conf_key *schema, size_t nkeys,
			  const char *section)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (schema[i].section && !strcmp(schema[i].section, section))
			return true;
	return false;
}

static size_t key_index(const struct cpns_conf *conf, const char *section,
			const char *name)
{
	ssize_t i = find_key(conf->schema, conf->nkeys, section, name);

	if (i < 0) {
		fprintf(stderr, "cpns_conf: key %s%s%s is not in the schema\n",
			section ? section : "", section ? "." : "", name);
		abort();
	}
	return (size_t)i;
}

void cpns_conf_free(struct cpns_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->n; i++)
		free((char *)conf->e[i].v.text);
	for (i = 0; i < conf->nsections; i++)
		free(conf->sections[i]);
	free(conf->sections);
	free(conf->e);
	free(conf->defs);
	free(conf);
}

static int add_entry(struct cpns_conf *conf, size_t key,
		     const struct cpns_conf_value *v, const char *text)
{
	struct conf_entry *e;

	if (conf->n == conf->cap) {
		size_t cap = conf->cap ? 2 * conf->cap : 16;

		e = realloc(conf->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		conf->e = e;
		conf->cap = cap;
	}
	e = &conf->e[conf->n];
	e->key = key;
	e->v = *v;
	e->v.text = strdup(text);
	if (!e->v.text)
		return -ENOMEM;
	conf->n++;
	return 0;
}

static size_t key_count(const struct cpns_conf *conf, size_t key)
{
	size_t i, n = 0;

	for (i = 0; i < conf->n; i++)
		if (conf->e[i].key == key)
			n++;
	return n;
}

/* ------------------------------------------------------------ the parser */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static char *trim(char *s)
{
	char *end;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	return s;
}

/* One line (NUL-terminated, no newline, blanks trimmed). */
/* "[name]": a known section, once; *section names it from now on. */
static int parse_section(struct cpns_conf *conf, char *s, const char *file,
			 unsigned int line, char **section, char *err,
			 size_t errlen)
{
	char **secs, *p = strchr(s, ']');
	size_t i;

	if (!p || p[1]) {
		seterr(err, errlen,
		       "%s:%u: expected [section] alone on the line", file,
		       line);
		return -EINVAL;
	}
	*p = '\0';
	s = trim(s + 1);
	for (p = s; *p; p++)
		if (!is_key_char(*p) && *p != '-')
			break;
	if (!*s || *p) {
		seterr(err, errlen, "%s:%u: bad section name '%s'", file,
		       line, s);
		return -EINVAL;
	}
	if (!known_section(conf->schema, conf->nkeys, s)) {
		seterr(err, errlen, "%s:%u: unknown section [%s]", file, line,
		       s);
		return -EINVAL;
	}
	for (i = 0; i < conf->nsections; i++) {
		if (!strcmp(conf->sections[i], s)) {
			seterr(err, errlen,
			       "%s:%u: section [%s] appears twice", file,
			       line, s);
			return -EINVAL;
		}
	}
	secs = realloc(conf->sections, (conf->nsections + 1) * sizeof(*secs));
	if (!secs)
		return -ENOMEM;
	conf->sections = secs;
	secs[conf->nsections] = strdup(s);
	if (!secs[conf->nsections])
		return -ENOMEM;
	*section = secs[conf->nsections++];
	return 0;
}

/* "key = value": a key of the schema in this section, its value checked. */
static int parse_pair(struct cpns_conf *conf, char *s, const char *file,
		      unsigned int line, const char *section, char *err,
		      size_t errlen)
{
	struct cpns_conf_value v;
	char why[192];
	char *key, *eq, *val, *p;
	ssize_t k;

	eq = strchr(s, '=');
	if (!eq) {
		seterr(err, errlen, "%s:%u: expected 'key = value'", file,
		       line);
		return -EINVAL;
	}
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	for (p = key; *p; p++)
		if (!is_key_char(*p))
			break;
	if (!*key || *p) {
		seterr(err, errlen, "%s:%u: bad key '%s'", file, line, key);
		return -EINVAL;
	}
	k = find_key(conf->schema, conf->nkeys, section, key);
	if (k < 0) {
		if (section)
			seterr(err, errlen,
			       "%s:%u: unknown key '%s' in section [%s]",
			       file, line, key, section);
		else
			seterr(err, errlen, "%s:%u: unknown key '%s'", file,
			       line, key);
		return -EINVAL;
	}
	if (!conf->schema[k].repeat && key_count(conf, (size_t)k)) {
		seterr(err, errlen, "%s:%u: '%s' given more than once", file,
		       line, key);
		return -EINVAL;
	}
	memset(&v, 0, sizeof(v));
	if (parse_value(&conf->schema[k], val, &v, why, sizeof(why))) {
		seterr(err, errlen, "%s:%u: %s: %s", file, line, key, why);
		return -EINVAL;
	}
	v.line = line;
	return add_entry(conf, (size_t)k, &v, val);
}

static int parse_line(struct cpns_conf *conf, char *s, const char *file,
		      unsigned int line, char **section, char *err,
		      size_t errlen)
{
	if (!*s || *s == '#')
		return 0;
	if (*s == '[')
		return parse_section(conf, s, file, line, section, err,
				     errlen);
	return parse_pair(conf, s, file, line, *section, err, errlen);
}

/* Defaults are checked like values: a bad one is a bug to report. */
static int parse_defaults(struct cpns_conf *conf, const char *file,
			  char *err, size_t errlen)
{
	const struct cpns_conf_key *schema = conf->schema;
	char why[192];
	size_t i;

	conf->defs = calloc(conf->nkeys + 1, sizeof(*conf->defs));
	if (!conf->defs)
		return -ENOMEM;
	for (i = 0; i < conf->nkeys; i++) {
		if (!schema[i].def)
			continue;
		if (parse_value(&schema[i], schema[i].def, &conf->defs[i], why,
				sizeof(why))) {
			seterr(err, errlen, "%s: default of '%s': %s", file,
			       schema[i].name, why);
			return -EINVAL;
		}
		conf->defs[i].text = schema[i].def;
	}
	return 0;
}

/* Every line: length, control characters, then its content. */
static int parse_lines(struct cpns_conf *conf, const char *text,
		       const char *file, char *err, size_t errlen)
{
	char buf[CONF_LINE_MAX + 1];
	char *section = NULL;
	unsigned int line = 0;
	const char *p = text;
	size_t i;
	int ret;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		line++;
		if (len > CONF_LINE_MAX) {
			seterr(err, errlen, "%s:%u: line longer than %d bytes",
			       file, line, CONF_LINE_MAX);
			return -EINVAL;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)buf[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				seterr(err, errlen,
				       "%s:%u: control character 0x%02x", file,
				       line, c);
				return -EINVAL;
			}
		}
		ret = parse_line(conf, trim(buf), file, line, &section, err,
				 errlen);
		if (ret)
			return ret;
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

static int check_required(const struct cpns_conf *conf, const char *file,
			  char *err, size_t errlen)
{
	const struct cpns_conf_key *schema = conf->schema;
	size_t i;

	for (i = 0; i < conf->nkeys; i++) {
		if (!schema[i].required || key_count(conf, i))
			continue;
		if (schema[i].section)
			seterr(err, errlen, "%s: missing '%s' in section [%s]",
			       file, schema[i].name, schema[i].section);
		else
			seterr(err, errlen, "%s: missing '%s'", file,
			       schema[i].name);
		return -EINVAL;
	}
	return 0;
}

int cpns_conf_parse(const char *text, const char *file,
		    const struct cpns_conf_key *schema, struct cpns_conf **out,
		    char *err, size_t errlen)
{
	struct cpns_conf *conf;
	int ret;

	*out = NULL;
	conf = calloc(1, sizeof(*conf));
	if (!conf)
		return -ENOMEM;
	conf->schema = schema;
	while (schema[conf->nkeys].name)
		conf->nkeys++;
	ret = parse_defaults(conf, file, err, errlen);
	if (!ret)
		ret = parse_lines(conf, text, file, err, errlen);
	if (!ret)
		ret = check_required(conf, file, err, errlen);
	if (ret) {
		cpns_conf_free(conf);
		return ret;
	}
	*out = conf;
	return 0;
}

int cpns_conf_load(const char *path, const struct cpns_conf_key *schema,
		   struct cpns_conf **out, char *err, size_t errlen)
{
	struct stat st;
	char *text;
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > CONF_FILE_MAX) {
		ret = -EINVAL;
		seterr(err, errlen, "%s: not a regular file of at most %d bytes",
		       path, CONF_FILE_MAX);
		goto err_close;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		seterr(err, errlen, "%s: out of memory", path);
		goto err_close;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len != (size_t)st.st_size) {
		ret = -EIO;
		seterr(err, errlen, "%s: short read", path);
		goto err_text;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		ret = -EINVAL;
		seterr(err, errlen, "%s: contains a NUL byte", path);
		goto err_text;
	}
	ret = cpns_conf_parse(text, path, schema, out, err, errlen);

err_text:
	free(text);
err_close:
	close(fd);
	return ret;
}

/* --------------------------------------------------------------- getters */

size_t cpns_conf_count(const struct cpns_conf *conf, const char *section,
		       const char *name)
{
	size_t k = key_index(conf, section, name);
	size_t n = key_count(conf, k);

	if (!n && conf->defs[k].text)
		return 1;
	return n;
}

const struct cpns_conf_value *cpns_conf_get(const struct cpns_conf *conf,
					    const char *section,
					    const char *name, size_t i)
{
	size_t k = key_index(conf, section, name);
	size_t j, n = 0;

	for (j = 0; j < conf->n; j++) {
		if (conf->e[j].key != k)
			continue;
		if (n++ == i)
			return &conf->e[j].v;
	}
	if (!n && !i && conf->defs[k].text)
		return &conf->defs[k];
	return NULL;
}

const char *cpns_conf_str(const struct cpns_conf *conf, const char *section,
			  const char *name)
{
	const struct cpns_conf_value *v = cpns_conf_get(conf, section, name,
							 0);

	return v ? v->text : NULL;
}

uint64_t cpns_conf_uint(const struct cpns_conf *conf, const char *section,
			const char *name)
{
	const struct cpns_conf_value *v = cpns_conf_get(conf, section, name,
							 0);

	return v ? v->u : 0;
}

bool cpns_conf_bool(const struct cpns_conf *conf, const char *section,
		    const char *name)
{
	return cpns_conf_uint(conf, section, name) != 0;
}

int cpns_conf_enum(const struct cpns_conf *conf, const char *section,
		   const char *name)
{
	const struct cpns_conf_value *v = cpns_conf_get(conf, section, name,
							 0);

	return v ? (int)v->u : -1;
}

bool cpns_conf_has_section(const struct cpns_conf *conf, const char *section)
{
	size_t i;

	for (i = 0; i < conf->nsections; i++)
		if (!strcmp(conf->sections[i], section))
			return true;
	return false;
}
