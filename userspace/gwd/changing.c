// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The changing role: a changing-mode (CM) device, one gateway that is
 * sometimes on the secure WAN and sometimes on a non-secure one
 * (Documentation/cpns-gwd.rst, "role = changing").
 *
 * It is GW1 and GW2 at once, built from their code: GW2's machine
 * (nonsecure.c) authenticates with the Device Key (flow a) and sends
 * sealed reports, to the server's address on the WAN the device is on;
 * where GW2 would ask a GW1 over the PN link, a CM device assigns itself
 * with GW1's machine (secure.c): flow I if it holds no seed, II-1 .. II-8,
 * and no II-9. The kernel makes the confirmed Device Key this namespace's
 * own (role gw2, marked self-assigned): it never leaves the kernel.
 *
 * It assigns itself on the secure WAN only: flows I and II are protected
 * by the secure WAN and nothing else. Which WAN it is on comes from the
 * configuration (wan = secure or nonsecure) or, with wan = auto, from the
 * source address the kernel's routing picks for the server's secure-WAN
 * address: inside secure_wan, the secure WAN; no route or another
 * address, the non-secure one. It looks again once link, address or route
 * events of its namespace (rtnetlink) settle, every wan_check seconds and
 * before each flow; when the answer changes, the current flow ends and flow a
 * starts again at once toward the other address, with the same Device
 * Key.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "gwd.h"
#include "keyops.h"

struct cm {
	struct gwd *g;
	struct gw1 *gw1;		/* flows I and II, for itself */
	struct gw2 *gw2;		/* flow a and the session */
	int wan;			/* enum gwd_wan: SECURE or NONSECURE */
	char why[2 * CPNS_HOST_MAX + 64];	/* how wan was decided */
	struct cpns_timer wan_timer;
	int rtfd;			/* rtnetlink: link and address events */
	struct cpns_watch rtw;
	struct cpns_timer settle_timer;	/* a burst of events has passed */
};

/* A move is several events (link, address out, address in): look once. */
#define CM_SETTLE_MS	300

static const char *wan_name(int wan)
{
	return wan == GWD_WAN_SECURE ? "secure" : "non-secure";
}

static bool prefix_has(const struct gwd_prefix *p, const uint8_t *addr)
{
	unsigned int full = p->len / 8, rest = p->len % 8;
	uint8_t mask;

	if (memcmp(p->addr, addr, full))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return !((p->addr[full] ^ addr[full]) & mask);
}

/*
 * The source address the route toward sa picks: a connected UDP socket's
 * (nothing is sent). 0, or -errno.
 */
static int route_source(const struct sockaddr *sa, socklen_t salen,
			struct sockaddr_storage *src)
{
	socklen_t len = sizeof(*src);
	int fd, ret;

	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, sa, salen);
	if (!ret)
		ret = getsockname(fd, (struct sockaddr *)src, &len);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * The WAN by the route to the server's secure-WAN address (resolved now;
 * of secure_wan's family where the name has one): inside secure_wan, the
 * secure WAN; a name that does not resolve, no route or another source,
 * the non-secure one.
 */
static int wan_by_route(struct cm *cm)
{
	const struct gwd_conf *conf = &cm->g->conf;
	const struct cpns_peer *server = &conf->servers.peer[conf->servers.cur];
	struct addrinfo *res, *ai, *pick;
	struct sockaddr_storage src;
	char buf[INET6_ADDRSTRLEN];
	const uint8_t *a;
	int ret;

	if (cpns_resolve(server, &res, cm->why, sizeof(cm->why)))
		return GWD_WAN_NONSECURE;
	pick = res;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == conf->secure_wan.family) {
			pick = ai;
			break;
		}
	}
	ret = route_source(pick->ai_addr, pick->ai_addrlen, &src);
	freeaddrinfo(res);
	if (ret) {
		snprintf(cm->why, sizeof(cm->why), "no route to %s: %s",
			 server->str, strerror(-ret));
		return GWD_WAN_NONSECURE;
	}
	if (src.ss_family == AF_INET)
		a = (const uint8_t *)&((struct sockaddr_in *)&src)->sin_addr;
	else
		a = (const uint8_t *)&((struct sockaddr_in6 *)&src)->sin6_addr;
	inet_ntop(src.ss_family, a, buf, sizeof(buf));
	if (src.ss_family == conf->secure_wan.family &&
	    prefix_has(&conf->secure_wan, a)) {
		snprintf(cm->why, sizeof(cm->why), "source %s is in %s", buf,
			 conf->secure_wan.str);
		return GWD_WAN_SECURE;
	}
	snprintf(cm->why, sizeof(cm->why), "source %s toward %s is not in %s",
		 buf, server->str, conf->secure_wan.str);
	return GWD_WAN_NONSECURE;
}

/* Decide again; true if the WAN changed (logged). */
static bool wan_refresh(struct cm *cm)
{
	const struct gwd_conf *conf = &cm->g->conf;
	int wan;

	if (conf->wan != GWD_WAN_AUTO) {
		snprintf(cm->why, sizeof(cm->why), "configured: wan = %s",
			 conf->wan == GWD_WAN_SECURE ? "secure" : "nonsecure");
		wan = conf->wan;
	} else {
		wan = wan_by_route(cm);
	}
	if (wan == cm->wan)
		return false;
	cm->wan = wan;
	cpns_notice("on the %s WAN (%s): the server is %s", wan_name(wan),
		    cm->why, wan == GWD_WAN_SECURE ?
		    conf->servers.peer[conf->servers.cur].str :
		    conf->servers_ns.peer[conf->servers_ns.cur].str);
	return true;
}

/* Look again; on a change, start over on the other WAN. */
static void wan_check(struct cm *cm)
{
	if (wan_refresh(cm)) {
		/* A self-assignment belongs to the secure WAN it began on. */
		gwd_gw1_self_cancel(cm->gw1);
		gwd_gw2_restart(cm->gw2);
	}
}

static void wan_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct cm *cm = t->arg;
	struct gwd *g = cm->g;

	(void)loop;
	wan_check(cm);
	if (!g->done &&
	    cpns_timer_arm(g->loop, &cm->wan_timer,
			   cpns_now_ms() + g->conf.wan_check_ms)) {
		cpns_err("out of memory for a timer");
		gwd_exit(g, 1);
	}
}

/*
 * The network changed and has settled: look again, and a flow waiting to
 * retry (its last connect failed, perhaps for want of an address) goes
 * now.
 */
static void settle_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct cm *cm = t->arg;

	(void)loop;
	if (wan_refresh(cm)) {
		gwd_gw1_self_cancel(cm->gw1);
		gwd_gw2_restart(cm->gw2);
	} else {
		gwd_gw2_kick(cm->gw2);
	}
}

/* Link, address or route events: drain them, look once they settle. */
static void rt_io(struct cpns_loop *loop, struct cpns_watch *w,
		  uint32_t events)
{
	struct cm *cm = w->arg;
	char buf[8192];
	ssize_t n;

	(void)events;
	do
		n = recv(cm->rtfd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n > 0 || (n < 0 && errno == EINTR));
	/* ENOBUFS: events were lost; looking again covers them. */
	if (!cpns_timer_armed(&cm->settle_timer) &&
	    cpns_timer_arm(loop, &cm->settle_timer,
			   cpns_now_ms() + CM_SETTLE_MS))
		wan_check(cm);
}

/* rtnetlink events of this namespace; without them the timer does. */
static void rt_start(struct cm *cm)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
			     RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
			     RTMGRP_IPV6_ROUTE,
	};
	int ret;

	cm->rtfd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			  NETLINK_ROUTE);
	if (cm->rtfd < 0 ||
	    bind(cm->rtfd, (struct sockaddr *)&sa, sizeof(sa))) {
		cpns_warn("no link events (rtnetlink: %s): checking the WAN every %u s only",
			  strerror(errno), cm->g->conf.wan_check_ms / 1000);
		goto fail;
	}
	ret = cpns_watch_add(cm->g->loop, &cm->rtw, cm->rtfd, EPOLLIN, rt_io,
			     cm);
	if (!ret)
		return;
	cpns_warn("no link events: %s", strerror(-ret));
fail:
	if (cm->rtfd >= 0)
		close(cm->rtfd);
	cm->rtfd = -1;
}

struct gwd_servers *gwd_server(struct gwd *g)
{
	struct cm *cm = g->role;

	if (g->conf.role != GWD_CHANGING)
		return &g->conf.servers;
	wan_refresh(cm);
	return cm->wan == GWD_WAN_SECURE ? &g->conf.servers :
					   &g->conf.servers_ns;
}

static void self_done(void *arg, const uint8_t *did, const char *err)
{
	struct cm *cm = arg;
	char text[CPNS_WIRE_ERRMSG_MAX + 64];

	if (did) {
		gwd_gw2_assigned(cm->gw2, did);
		return;
	}
	snprintf(text, sizeof(text), "self-assignment failed: %s", err);
	gwd_gw2_unassigned(cm->gw2, text);
}

void gwd_cm_need_key(struct gwd *g)
{
	struct cm *cm = g->role;
	char text[sizeof(cm->why) + 160];

	wan_refresh(cm);
	if (cm->wan != GWD_WAN_SECURE) {
		/* Flows I and II rely on the secure WAN: never elsewhere. */
		snprintf(text, sizeof(text),
			 "no Device Key: a changing-mode device assigns itself on the secure WAN only, and it is on the non-secure WAN (%s); nothing stored",
			 cm->why);
		gwd_gw2_unassigned(cm->gw2, text);
		return;
	}
	if (gwd_gw1_self_assign(cm->gw1, self_done, cm))
		gwd_gw2_unassigned(cm->gw2, "self-assignment: out of memory");
}

bool gwd_cm_refused(struct gwd *g, const uint8_t did[CPNS_DEVICE_ID_LEN],
		    unsigned int code)
{
	struct cm *cm = g->role;
	int ret;

	if (g->conf.role != GWD_CHANGING || cm->wan != GWD_WAN_SECURE ||
	    (code != CPNS_WIRE_ERR_UNKNOWN_DEVICE &&
	     code != CPNS_WIRE_ERR_EXPIRED))
		return false;
	/*
	 * On the secure WAN the server's word is as good as flows I and II,
	 * which rest on the same WAN: the device is gone there.
	 */
	ret = cpns_key_del_device(g->nl, did);
	if (ret && !gwd_kernel_key_gone(ret)) {
		cpns_err("the server refuses device id %s (ERROR %u, %s), but its Device Key cannot be deleted: %s",
			 cpns_log_hex(did, CPNS_DEVICE_ID_LEN), code,
			 cpns_wire_code_name(code), cpns_last_error(g->nl));
		return false;
	}
	cpns_warn("the server, on the secure WAN, refuses device id %s (ERROR %u, %s): Device Key deleted; assigning itself afresh",
		  cpns_log_hex(did, CPNS_DEVICE_ID_LEN), code,
		  cpns_wire_code_name(code));
	return true;
}

static int cm_start(struct gwd *g)
{
	struct cm *cm = calloc(1, sizeof(*cm));

	if (!cm)
		return -ENOMEM;
	g->role = cm;
	cm->g = g;
	cm->wan = GWD_WAN_AUTO;		/* none yet: the first is logged */
	cm->rtfd = -1;
	cpns_timer_init(&cm->wan_timer, wan_timer, cm);
	cpns_timer_init(&cm->settle_timer, settle_timer, cm);
	cm->gw1 = gwd_gw1_new(g);
	cm->gw2 = gwd_gw2_new(g);
	if (!cm->gw1 || !cm->gw2)
		return -ENOMEM;
	wan_refresh(cm);
	if (!g->once && g->conf.wan == GWD_WAN_AUTO)
		rt_start(cm);
	if (!g->once && cpns_timer_arm(g->loop, &cm->wan_timer,
				       cpns_now_ms() + g->conf.wan_check_ms))
		return -ENOMEM;
	return gwd_gw2_begin(cm->gw2);
}

static void cm_stop(struct gwd *g)
{
	struct cm *cm = g->role;

	if (!cm)
		return;
	cpns_timer_disarm(g->loop, &cm->wan_timer);
	cpns_timer_disarm(g->loop, &cm->settle_timer);
	if (cm->rtfd >= 0) {
		cpns_watch_del(g->loop, &cm->rtw);
		close(cm->rtfd);
	}
	if (cm->gw2)
		gwd_gw2_free(cm->gw2);
	if (cm->gw1)
		gwd_gw1_free(cm->gw1);
	free(cm);
	g->role = NULL;
}

/* Nothing waits for an operator: a CM device has no II-9. */
static void cm_ctl_list(struct gwd *g, struct cpns_ctl_reply *r)
{
	(void)g;
	(void)r;
}

static void cm_ctl_decide(struct gwd *g, uint32_t id, const char *code,
			  struct cpns_ctl_reply *r)
{
	(void)g;
	(void)id;
	(void)code;
	cpns_ctl_printf(r, "error this is a changing-mode device: it assigns itself, with no II-9 to confirm\n");
}

static void cm_ctl_rotate(struct gwd *g, struct cpns_ctl_reply *r)
{
	(void)g;
	cpns_ctl_printf(r, "error this is a changing-mode device: its Device Key would retire with its seed; it gets a new seed when it assigns itself again\n");
}

static void cm_ctl_reassign(struct gwd *g, struct cpns_ctl_reply *r)
{
	(void)g;
	cpns_ctl_printf(r, "error this is a changing-mode device: delete its Device Key (cpnsctl key del) and it assigns itself afresh on the secure WAN\n");
}

const struct gwd_role_ops gwd_changing_ops = {
	.name = "changing (CM device: GW1 for itself, GW2 on either WAN)",
	.start = cm_start,
	.stop = cm_stop,
	.ctl_list = cm_ctl_list,
	.ctl_decide = cm_ctl_decide,
	.ctl_rotate = cm_ctl_rotate,
	.ctl_reassign = cm_ctl_reassign,
};
