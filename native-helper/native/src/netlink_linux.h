/*
 * rtnetlink requests shared by the addons that change the network without starting `ip`
 * (tun_linux.c: MTU, addresses, link up; route_linux.c: routes and route lookups).
 * Header-only (static inline functions): each addon is its own shared object.
 *
 *   nl_req / nl_attr / nl_nest_*  build one request (a header, one of the rtnetlink bodies, attributes)
 *   nl_call(fd, req, seq)         send it with NLM_F_ACK and wait for the acknowledgement
 *   nl_exchange(fd, req, seq, on_msg, ctx)
 *                                 send it and hand each answer of that sequence number to on_msg,
 *                                 until NLMSG_DONE (a dump), an error, or on_msg says it is done
 */
#ifndef TSUNAGI_NETLINK_LINUX_H
#define TSUNAGI_NETLINK_LINUX_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

typedef struct nl_req {
  struct nlmsghdr h;
  union {
    struct ifinfomsg ifi;
    struct ifaddrmsg ifa;
    struct rtmsg rt;
  } u;
  char attrs[256];
} nl_req;

static inline void nl_attr(nl_req *r, unsigned short type, const void *data, unsigned short len) {
  struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends one request; -errno of sendto, else 0. */
static inline int nl_send(int fd, nl_req *r, uint32_t seq) {
  r->h.nlmsg_flags |= NLM_F_REQUEST;
  r->h.nlmsg_seq = seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return errno;
  return 0;
}

/* Sends one request and waits for its acknowledgement: 0, or the errno the kernel answered. */
static inline int nl_call(int fd, nl_req *r, uint32_t seq) {
  r->h.nlmsg_flags |= NLM_F_ACK;
  int err = nl_send(fd, r, seq);
  if (err) return err;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) continue;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      return -e->error; /* 0 is the acknowledgement */
    }
  }
}

/* 0: more please, 1: done. */
typedef int (*nl_on_msg)(const struct nlmsghdr *h, void *ctx);

/*
 * Sends one request and hands every answer with its sequence number to on_msg until NLMSG_DONE
 * (the end of a dump), an NLMSG_ERROR (0 for an acknowledgement, else the errno) or on_msg
 * returning 1. Returns 0 or an errno.
 */
static inline int nl_exchange(int fd, nl_req *r, uint32_t seq, nl_on_msg on_msg, void *ctx) {
  int err = nl_send(fd, r, seq);
  if (err) return err;
  /* a dump answers in datagrams of up to a page or so each; 32 KiB holds any of them */
  static __thread char buf[32768];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return -e->error;
      }
      if (on_msg(h, ctx)) return 0;
    }
  }
}

#endif
