// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The netlink socket: family resolution, synchronous request/reply with
 * ACK and extended ACK, dump iteration, and the error of the last call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* libnl's errors, as the errno they stand for. */
static int nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_DUMP_INTR:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

void cpns__clear_error(struct cpns_nl *nl)
{
	memset(&nl->last, 0, sizeof(nl->last));
	nl->last.offset = -1;
	nl->last.attr_type = -1;
	nl->last.miss_type = -1;
	nl->last.miss_nest = -1;
}

int cpns__fail(struct cpns_nl *nl, int err, const char *fmt, ...)
{
	va_list ap;

	cpns__clear_error(nl);
	nl->last.err = err;
	va_start(ap, fmt);
	vsnprintf(nl->last.msg, sizeof(nl->last.msg), fmt, ap);
	va_end(ap);
	return err;
}

const char *cpns_last_error(const struct cpns_nl *nl)
{
	return nl->last.msg;
}

const struct cpns_error *cpns_last(const struct cpns_nl *nl)
{
	return &nl->last;
}

struct cpns_nl *cpns_open(void)
{
	return cpns_open_family(CPNS_GENL_NAME);
}

/*
 * Raise the send buffer for a full batch (CPNS_BATCH_MSG_MAX), as far as
 * net.core.wmem_max lets it, and keep in tx_max the longest request it
 * then takes.
 */
static int tx_max(struct cpns_nl *nl)
{
	int want = CPNS_BATCH_MSG_MAX, have = 0;
	socklen_t len = sizeof(have);

	/* Refused or capped, the buffer stays as large as it was. */
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	if (getsockopt(nl->fd, SOL_SOCKET, SO_SNDBUF, &have, &len))
		return -errno;
	/* netlink_sendmsg() refuses more than the send buffer less 32. */
	nl->tx_max = have > 32 ? (size_t)have - 32 : 0;
	if (nl->tx_max > CPNS_BATCH_MSG_MAX)
		nl->tx_max = CPNS_BATCH_MSG_MAX;
	return 0;
}

struct cpns_nl *cpns_open_family(const char *name)
{
	struct cpns_nl *nl;
	int one = 1, ret, fd;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return NULL;
	cpns__clear_error(nl);
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = genl_connect(nl->sk);
	if (ret) {
		ret = nlerr_to_errno(ret);
		goto err_sock;
	}
	ret = genl_ctrl_resolve(nl->sk, name);
	if (ret < 0) {
		ret = nlerr_to_errno(ret);
		goto err_sock;
	}
	nl->family = (uint16_t)ret;
	if (!strcmp(name, CPNS_GENL_NAME))
		nl->kind = CPNS_FAM_CPNS;
	else if (!strcmp(name, CPNS_KAT_GENL_NAME))
		nl->kind = CPNS_FAM_KAT;
	fd = nl_socket_get_fd(nl->sk);
	nl->fd = fd;
	nl->port = nl_socket_get_local_port(nl->sk);
	nl->rx = malloc(CPNS_RX_SIZE);
	if (!nl->rx) {
		ret = -ENOMEM;
		goto err_sock;
	}
	nl->rx_size = CPNS_RX_SIZE;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one))) {
		ret = -errno;
		goto err_sock;
	}
	ret = tx_max(nl);
	if (ret)
		goto err_sock;
	return nl;

err_sock:
	free(nl->rx);
	nl_socket_free(nl->sk);
err_free:
	free(nl);
	errno = -ret;
	return NULL;
}

void cpns_close(struct cpns_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl->rx);		/* wiped after each use */
	cpns_msg_free(nl->req);
	explicit_bzero(nl, sizeof(*nl));
	free(nl);
}

uint16_t cpns_family(const struct cpns_nl *nl)
{
	return nl->family;
}

int cpns_fd(const struct cpns_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

/* -------------------------------------------------------- extended ACK */

/* Find the attribute at byte off of the request, descending into nests. */
static void locate(const uint8_t *req, size_t start, size_t end, size_t off,
		   int parent, int depth, struct cpns_error *e)
{
	size_t p = start;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *nla = (const void *)(req + p);
		size_t alen = nla->nla_len;
		int type = nla->nla_type & NLA_TYPE_MASK;
		bool nest;

		if (alen < NLA_HDRLEN || alen > end - p)
			return;
		if (off == p) {
			e->attr_type = type;
			e->attr_nest = parent;
			return;
		}
		if (off > p && off < p + alen) {
			nest = (nla->nla_type & NLA_F_NESTED) ||
			       (depth == 0 &&
				cpns__nest_level(CPNS_LEVEL_TOP, type) >= 0);
			if (nest && depth < 4)
				locate(req, p + NLA_HDRLEN, p + alen, off, type,
				       depth + 1, e);
			if (e->attr_type < 0) {
				e->attr_type = type;
				e->attr_nest = parent;
			}
			return;
		}
		p += NLA_ALIGN(alen);
	}
}

static void describe(struct cpns_error *e)
{
	size_t n = strlen(e->msg);
	char *p = e->msg + n;
	size_t room = sizeof(e->msg) - n;

	if (e->attr_type >= 0 && e->attr_nest)
		snprintf(p, room, " (attribute %d in %s)", e->attr_type,
			 cpns_attr_name((unsigned int)e->attr_nest));
	else if (e->attr_type >= 0)
		snprintf(p, room, " (attribute %s)",
			 cpns_attr_name((unsigned int)e->attr_type));
	else if (e->miss_type >= 0 && e->miss_nest >= 0)
		snprintf(p, room, " (missing nested attribute %d)",
			 e->miss_type);
	else if (e->miss_type >= 0)
		snprintf(p, room, " (missing attribute %s)",
			 cpns_attr_name((unsigned int)e->miss_type));
}

int cpns_parse_ack(const void *buf, size_t len, const void *req,
		   size_t reqlen, struct cpns_error *e)
{
	const struct nlmsghdr *nlh = buf;
	const uint8_t *p = buf;
	size_t tlv, end;
	int err;

	memset(e, 0, sizeof(*e));
	e->offset = -1;
	e->attr_type = -1;
	e->miss_type = -1;
	e->miss_nest = -1;
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < NLMSG_HDRLEN)
		return -EBADMSG;
	end = nlh->nlmsg_len;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *me = (const void *)(p + NLMSG_HDRLEN);
		size_t payload = sizeof(*me);

		if (end < NLMSG_HDRLEN + sizeof(*me))
			return -EBADMSG;
		err = me->error;
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (me->msg.nlmsg_len < NLMSG_HDRLEN)
				return -EBADMSG;
			payload += me->msg.nlmsg_len - NLMSG_HDRLEN;
		}
		tlv = NLMSG_HDRLEN + NLMSG_ALIGN(payload);
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		int derr = 0;

		if (end >= NLMSG_HDRLEN + sizeof(int))
			memcpy(&derr, p + NLMSG_HDRLEN, sizeof(derr));
		err = derr;
		tlv = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int));
	} else {
		return -EBADMSG;
	}
	if (err > 0)
		err = -err;
	e->err = err;

	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && tlv <= end) {
		while (tlv + NLA_HDRLEN <= end) {
			const struct nlattr *nla = (const void *)(p + tlv);
			const uint8_t *data = p + tlv + NLA_HDRLEN;
			size_t dlen = nla->nla_len - NLA_HDRLEN;
			uint32_t u32;

			if (nla->nla_len < NLA_HDRLEN ||
			    nla->nla_len > end - tlv)
				return -EBADMSG;
			switch (nla->nla_type & NLA_TYPE_MASK) {
			case NLMSGERR_ATTR_MSG:
				if (dlen > sizeof(e->msg) - 1)
					dlen = sizeof(e->msg) - 1;
				memcpy(e->msg, data, dlen);
				e->msg[dlen] = '\0';
				e->from_kernel = e->msg[0] != '\0';
				break;
			case NLMSGERR_ATTR_OFFS:
				if (dlen == 4) {
					memcpy(&u32, data, 4);
					e->offset = (int32_t)u32;
				}
				break;
			case NLMSGERR_ATTR_MISS_TYPE:
				if (dlen == 4) {
					memcpy(&u32, data, 4);
					e->miss_type = (int)u32;
				}
				break;
			case NLMSGERR_ATTR_MISS_NEST:
				if (dlen == 4) {
					memcpy(&u32, data, 4);
					e->miss_nest = (int32_t)u32;
				}
				break;
			}
			tlv += NLA_ALIGN(nla->nla_len);
		}
	}
	if (e->offset >= 0 && req)
		locate(req, NLMSG_HDRLEN + GENL_HDRLEN, reqlen,
		       (size_t)e->offset, 0, 0, e);
	if (err && !e->msg[0])
		snprintf(e->msg, sizeof(e->msg), "%s", strerror(-err));
	if (err)
		describe(e);
	return err;
}

/* ----------------------------------------------------- request/reply */

struct rx {
	struct cpns_nl *nl;
	const struct nlmsghdr *req;
	cpns_reply_fn fn;
	void *arg;
	bool done;
	bool intr;
	bool stop;
	int kerr;		/* kernel's error from the ACK/DONE */
	int bad;		/* -EBADMSG: a malformed reply */
	int cbret;		/* callback's value */
};

static void rx_one(struct rx *rx, const struct nlmsghdr *nlh)
{
	struct cpns_reply r;
	char why[160];
	int ret;

	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
		return;
	case NLMSG_OVERRUN:
		rx->bad = cpns__fail(rx->nl, -EOVERFLOW,
				     "netlink receive buffer overrun");
		rx->done = true;
		return;
	case NLMSG_ERROR:
	case NLMSG_DONE: {
		struct cpns_error e;

		ret = cpns_parse_ack(nlh, nlh->nlmsg_len, rx->req,
				     rx->req->nlmsg_len, &e);
		rx->done = true;
		if (ret == -EBADMSG && !e.err) {
			rx->bad = cpns__fail(rx->nl, -EBADMSG,
					     "malformed netlink ACK");
			return;
		}
		if (ret) {
			rx->kerr = ret;
			rx->nl->last = e;
		}
		return;
	}
	}
	if (nlh->nlmsg_type != rx->nl->family)
		return;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		rx->intr = true;
	ret = cpns__parse_msg(&r, nlh, nlh->nlmsg_len, why, sizeof(why));
	if (ret) {
		if (!rx->bad)
			rx->bad = cpns__fail(rx->nl, -EBADMSG,
					     "malformed kernel reply: %s", why);
		return;
	}
	if (rx->stop || !rx->fn)
		return;
	ret = rx->fn(&r, rx->arg);
	explicit_bzero(&r, sizeof(r));
	if (ret) {
		rx->cbret = ret;
		rx->stop = true;
	}
}

/*
 * Whether a successful cmd of nl's family answers with a message of its
 * own (Documentation/netlink.rst, section 5: every command but KEY_DEL
 * and SESSION_DEL; every command of cpns_kat). Those need no ACK: the
 * reply, or an NLMSG_ERROR with the extack on failure, ends the request.
 */
static bool replies(const struct cpns_nl *nl, const struct nlmsghdr *req)
{
	const struct genlmsghdr *g = NLMSG_DATA(req);

	if (req->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return false;
	switch (nl->kind) {
	case CPNS_FAM_CPNS:
		return g->cmd != CPNS_CMD_KEY_DEL &&
		       g->cmd != CPNS_CMD_SESSION_DEL;
	case CPNS_FAM_KAT:
		return true;
	default:
		return false;
	}
}

/*
 * One datagram from the kernel into buf (size bytes): its length, or a
 * negative errno.
 */
static ssize_t rx_read(struct cpns_nl *nl, uint8_t *buf, size_t size)
{
	struct sockaddr_nl peer;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_name = &peer, .msg_namelen = sizeof(peer),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(nl->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		return -ECONNRESET;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

/*
 * The buffer a reply of up to size bytes is read into: nl's own, grown if
 * need be, or (nested) one of the caller's to free. NULL: out of memory.
 */
static uint8_t *rx_buf(struct cpns_nl *nl, size_t size, bool nested)
{
	uint8_t *buf;

	if (nested)
		return malloc(size);
	if (size <= nl->rx_size)
		return nl->rx;
	/* Wiped after each use: nothing to keep. */
	buf = malloc(size);
	if (!buf)
		return NULL;
	free(nl->rx);
	nl->rx = buf;
	nl->rx_size = size;
	return buf;
}

int cpns_msg_send(struct cpns_nl *nl, struct cpns_msg *msg,
		  cpns_reply_fn reply, void *arg)
{
	return cpns__send(nl, msg, CPNS_RX_SIZE, reply, arg);
}

int cpns__send(struct cpns_nl *nl, struct cpns_msg *msg, size_t rx_size,
	       cpns_reply_fn reply, void *arg)
{
	struct nlmsghdr *req = nlmsg_hdr(msg->m);
	struct rx rx = { .nl = nl, .req = req, .fn = reply, .arg = arg };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = req, .iov_len = req->nlmsg_len };
	struct msghdr mh = {
		.msg_name = &kernel, .msg_namelen = sizeof(kernel),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	bool nested = nl->busy;	/* called from a reply callback */
	uint8_t *buf;
	bool until_ack;
	ssize_t n;
	int ret = 0;

	cpns__clear_error(nl);
	req->nlmsg_flags |= NLM_F_REQUEST;
	if (dump || !replies(nl, req))
		req->nlmsg_flags |= NLM_F_ACK;
	/* A reply ends the request unless the caller asked for the ACK. */
	until_ack = dump || (req->nlmsg_flags & NLM_F_ACK);
	req->nlmsg_seq = ++nl->seq;	/* a fresh number on every send */
	req->nlmsg_pid = nl->port;
	do
		n = sendmsg(nl->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = -errno;
		return cpns__fail(nl, ret, "cannot send to the kernel: %s",
				  strerror(-ret));
	}
	if (rx_size < CPNS_RX_SIZE)
		rx_size = CPNS_RX_SIZE;
	buf = rx_buf(nl, rx_size, nested);
	if (!buf)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	nl->busy = true;

	while (!rx.done) {
		struct nlmsghdr *nlh;
		int left;

		n = rx_read(nl, buf, rx_size);
		if (n < 0) {
			ret = cpns__fail(nl, (int)n,
					 "cannot receive from the kernel: %s",
					 strerror((int)-n));
			break;
		}
		left = (int)n;
		for (nlh = (void *)buf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    nlh->nlmsg_pid != nl->port)
				continue;
			rx_one(&rx, nlh);
			if (!until_ack && nlh->nlmsg_type == nl->family)
				rx.done = true;
			if (rx.done)
				break;
		}
		/* Replies carry protocol values: wipe them. */
		explicit_bzero(buf, (size_t)n);
	}
	nl->busy = nested;
	if (nested)
		free(buf);
	if (ret)
		return ret;

	if (rx.kerr)
		return rx.kerr;
	if (rx.bad)
		return rx.bad;
	if (rx.intr)
		return cpns__fail(nl, -EAGAIN,
				  "the dump was interrupted by a concurrent change; run it again");
	if (rx.cbret < 0 && !nl->last.err)
		cpns__fail(nl, rx.cbret, "%s", strerror(-rx.cbret));
	return rx.cbret;
}

/*
 * nl's request buffer, reused from one request to the next (one at a
 * time: a request built while it is in use gets a buffer of its own).
 */
static struct cpns_msg *req_get(struct cpns_nl *nl, uint8_t cmd,
					uint16_t flags, size_t size)
{
	struct cpns_msg *msg;

	if (nl->req_out)
		return cpns_msg_new_size(nl->family, cmd, flags, size);
	if (size < CPNS_MSG_SIZE)
		size = CPNS_MSG_SIZE;
	if (!nl->req || size > nl->req_size) {
		/* A larger one (a batch's) stays for the next requests. */
		msg = cpns_msg_new_size(nl->family, cmd, flags, size);
		if (!msg)
			return NULL;
		cpns_msg_free(nl->req);
		nl->req = msg;
		nl->req_size = size;
	} else if (cpns__msg_reset(nl->req, nl->family, cmd, flags)) {
		return NULL;
	}
	nl->req_out = true;
	return nl->req;
}

int cpns_request(struct cpns_nl *nl, uint8_t cmd, uint16_t flags,
		 cpns_build_fn build, void *build_arg,
		 cpns_reply_fn reply, void *reply_arg)
{
	struct cpns_msg *msg;
	int ret;

	cpns__clear_error(nl);
	msg = req_get(nl, cmd, flags, CPNS_MSG_SIZE);
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	if (build) {
		ret = build(msg, build_arg);
		if (ret < 0) {
			cpns__req_end(nl, msg);
			return cpns__fail(nl, ret, "cannot build the request: %s",
					  strerror(-ret));
		}
	}
	ret = cpns_msg_send(nl, msg, reply, reply_arg);
	cpns__req_end(nl, msg);
	return ret;
}

struct cpns_msg *cpns__req(struct cpns_nl *nl, uint8_t cmd, size_t size)
{
	return req_get(nl, cmd, 0, size);
}

void cpns__req_end(struct cpns_nl *nl, struct cpns_msg *msg)
{
	if (msg && msg == nl->req) {
		cpns__msg_wipe(msg);
		nl->req_out = false;
	} else {
		cpns_msg_free(msg);
	}
}

/* ------------------------------------------------ fixed-shape calls */

#define STAGE_SIZE 512

struct call {
	struct cpns_nl *nl;
	uint8_t cmd;
	const struct cpns_want *w;
	size_t n;
	bool got;
	int missing;		/* type of a wanted attribute not in the reply */
	uint8_t stage[STAGE_SIZE];
};

static int call_reply(const struct cpns_reply *r, void *arg)
{
	struct call *c = arg;
	size_t i, off = 0;

	c->got = true;
	c->missing = -1;
	for (i = 0; i < c->n; i++) {
		if (cpns_reply_copy(r, c->w[i].type, c->stage + off,
				    c->w[i].len)) {
			c->missing = c->w[i].type;
			return 0;
		}
		off += c->w[i].len;
	}
	return 0;
}

int cpns__put_all(struct cpns_msg *msg, const struct cpns_put *puts,
		  size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		if (!puts[i].data)
			continue;
		ret = cpns_msg_put(msg, puts[i].type, puts[i].data,
				   puts[i].len);
		if (ret)
			return ret;
	}
	return 0;
}

int cpns__get_all(const struct cpns_reply *r, const struct cpns_want *wants,
		  size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++)
		if (!cpns_reply_get(r, wants[i].type, &len) ||
		    len != wants[i].len)
			return -EBADMSG;
	for (i = 0; i < n; i++)
		cpns_reply_copy(r, wants[i].type, wants[i].out, wants[i].len);
	return 0;
}

int cpns__call(struct cpns_nl *nl, uint8_t cmd, const struct cpns_put *puts,
	       size_t nputs, const struct cpns_want *wants, size_t nwants)
{
	struct call c = { .nl = nl, .cmd = cmd, .w = wants, .n = nwants,
			  .missing = -1 };
	struct cpns_msg *msg;
	size_t i, size = 256, off = 0;
	int ret = 0;

	cpns__clear_error(nl);
	for (i = 0; i < nputs; i++)
		size += NLA_ALIGN(NLA_HDRLEN + puts[i].len);
	for (i = 0; i < nwants; i++)
		off += wants[i].len;
	if (off > STAGE_SIZE)
		return cpns__fail(nl, -EINVAL, "internal: reply too large");

	msg = cpns__req(nl, cmd, size);
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	ret = cpns__put_all(msg, puts, nputs);
	if (ret) {
		cpns__fail(nl, ret, "request too large");
		goto out;
	}
	ret = cpns_msg_send(nl, msg, call_reply, &c);
	if (ret)
		goto out;
	if (nwants && (!c.got || c.missing >= 0)) {
		ret = cpns__fail(nl, -EBADMSG, "the kernel's reply to %s lacks %s",
				 cpns_cmd_name(cmd),
				 c.got ? cpns_attr_name((unsigned int)c.missing)
				       : "every attribute");
		goto out;
	}
	for (i = 0, off = 0; i < nwants; i++) {
		memcpy(wants[i].out, c.stage + off, wants[i].len);
		off += wants[i].len;
	}
out:
	cpns__req_end(nl, msg);
	explicit_bzero(&c, sizeof(c));
	return ret;
}
