// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the flow handlers do to their connection: send a message, refuse
 * with ERROR (and the kernel errors mapped to wire codes, protocol.rst
 * 7.2), re-arm its deadline, end its a-flow or session in the kernel and
 * store its device record. server.c owns the connections' life; this
 * file calls nothing of it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kcode.h"
#include "serverd.h"

/* Lines of one refusal of a step (the same text) per CPNS_LOG_REPEAT_MS. */
#define SCONN_REFUSE_BURST	5

const char *sconn_type_name(unsigned int type)
{
	const char *name = cpns_wire_type_name(type);

	return name ? name : "unknown message";
}

/* ------------------------------------------------------- error mapping */

/* A line of cause, burst of them per CPNS_LOG_REPEAT_MS (cpns_log_cause()). */
static void log_cause(struct sconn *sc, int level, const char *cause,
		      unsigned int burst, const char *text)
{
	unsigned long long dropped;

	if (!cpns_log_enabled(level) || !cpns_log_cause(cause, burst, &dropped))
		return;
	if (dropped)
		sc_log(sc, level, "%s (%llu more like this in the last %u s, not logged)",
		       text, dropped, CPNS_LOG_REPEAT_MS / 1000);
	else if (burst == 1)
		sc_log(sc, level, "%s (more like this within %u s are counted, not logged)",
		       text, CPNS_LOG_REPEAT_MS / 1000);
	else
		sc_log(sc, level, "%s", text);
}

void sconn_log_cause(struct sconn *sc, int level, const char *cause,
		     const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_cause(sc, level, cause, 1, text);
}

/*
 * A refusal is logged once per cause (the cause given, or for a step's
 * refusal its own line: a replayed request is refused with the same line
 * each time) in SCONN_REFUSE_BURST lines per CPNS_LOG_REPEAT_MS.
 */
static void vrefuse(struct sconn *sc, const char *cause, unsigned int code,
		    unsigned int ref_type, const char *fmt, va_list ap)
{
	char text[CPNS_WIRE_ERRMSG_MAX + 1], line[CPNS_WIRE_ERRMSG_MAX + 96];

	vsnprintf(text, sizeof(text), fmt, ap);
	snprintf(line, sizeof(line), "sent ERROR %u (%s)%s%s: %s", code,
		 cpns_wire_code_name(code), ref_type ? " refusing " : "",
		 ref_type ? sconn_type_name(ref_type) : "", text);
	log_cause(sc, CPNS_LOG_WARNING, cause ? cause : line,
		  cause ? 1 : SCONN_REFUSE_BURST, line);
	/* The flow is abandoned: free its kernel object now, not at close. */
	sconn_flow_end(sc);
	if (cpns_conn_send_error(&sc->c, code, ref_type, "%s", text) < 0) {
		sc_debug(sc, "ERROR not sent: %s", strerror(sc->c.sys_err));
		cpns_conn_close(&sc->c);
	}
}

void sconn_refuse(struct sconn *sc, unsigned int code, unsigned int ref_type,
		  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(sc, NULL, code, ref_type, fmt, ap);
	va_end(ap);
}

void sconn_refuse_cause(struct sconn *sc, const char *cause,
			unsigned int code, unsigned int ref_type,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(sc, cause, code, ref_type, fmt, ap);
	va_end(ap);
}

static void kernel_refuse(struct sconn *sc, const char *step,
			  unsigned int code, const char *why,
			  unsigned int ref_type)
{
	if (code == CPNS_WIRE_ERR_INTERNAL)
		sc_err(sc, "%s: kernel failure: %s", step, why);
	sconn_refuse(sc, code, ref_type, "%s: %s", step, why);
}

void sconn_kernel_error(struct sconn *sc, const char *step, int err,
			bool by_device, unsigned int ref_type)
{
	kernel_refuse(sc, step, cpns_kernel_code(sc->srv->nl, err, by_device),
		      cpns_last_error(sc->srv->nl), ref_type);
}

void sconn_kernel_fail(struct sconn *sc, const char *step,
		       const struct cpns_error *e, bool by_device,
		       unsigned int ref_type)
{
	kernel_refuse(sc, step, cpns_error_code(e, by_device), e->msg,
		      ref_type);
}

int sconn_send(struct sconn *sc, const struct cpns_wire_msg *msg)
{
	int ret = cpns_conn_send(&sc->c, msg);

	if (!ret)
		return 0;
	if (ret == -ENOBUFS)
		sc_warn(sc, "peer does not read: %s not sent, closing",
			sconn_type_name(msg->type));
	else if (sc->c.state == CPNS_CONN_DEAD)
		sc_info(sc, "write failed: %s", strerror(sc->c.sys_err));
	else
		sc_err(sc, "%s does not encode: %s", sconn_type_name(msg->type),
		       cpns_wire_strerror(ret));
	cpns_conn_close(&sc->c);
	return -1;
}

void sconn_arm(struct sconn *sc)
{
	uint64_t when = cpns_conn_next_deadline(&sc->c);

	if (!when)
		cpns_timer_disarm(sc->srv->loop, &sc->t);
	else if (cpns_timer_arm(sc->srv->loop, &sc->t, when))
		cpns_conn_close(&sc->c);	/* no memory for the heap */
}

int sconn_record_save(struct sconn *sc, const struct cpns_record *rec,
		      const char *what)
{
	return keystore_record_put(sc->srv, sc->did, &sc->rec, rec, what);
}

void sconn_flow_end(struct sconn *sc)
{
	struct server *srv = sc->srv;

	kbatch_conn_gone(sc);
	if (sc->pending) {
		sc->pending = false;
		srv->pending--;
	}
	if (!sc->handle)
		return;
	server_session_end(srv, sc->handle);
	if (sc->state == SC_SESSION)
		/* Why it ended (the peer's close, a timeout, a refusal) has
		 * its line at info already.
		 */
		sc_debug(sc, "session with device id %s ended (handle %u)",
			 HEX(sc->did), sc->handle);
	sc->handle = 0;
}
