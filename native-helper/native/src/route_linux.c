/*
 * tsunagi_route: the routes the tunnel needs, as rtnetlink requests from this process instead of
 * `ip` processes (each `ip` costs 5–15 ms on the way to the first packet through the tunnel).
 * Plain C against Node-API (version 8); the JS side is native-helper/platform/routes/netlink.ts.
 *
 *   change(op, route)            op 'add' | 'replace' | 'del' in the main table, as
 *                                `ip route add|replace|del DST [via GW] [dev DEV] [src SRC]`;
 *                                route = { family: 4|6, dst, prefixLength, gateway?, dev?, src? }
 *   get(family, address, dev?)   -> { gateway?, dev?, prefsrc?, mtu? }   as `ip route get A [oif DEV]`
 *   dump(family)                 -> [{ dst, type, gateway?, dev?, metric?, prefsrc?, flags,
 *                                     nexthops? }]   the main table, as `ip -j route show table main`
 *
 * Failures throw an Error whose .code is the errno name (EEXIST, ESRCH, ENETUNREACH, …).
 * Each call opens its own netlink socket: nothing is shared between calls or threads.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlink_linux.h"

/* ---------- errors ---------- */

static void throw_errno(napi_env env, int err, const char *what) {
  const char *name = uv_err_name(-err);
  if (!name || strncmp(name, "Unknown", 7) == 0) name = "EUNKNOWN";
  char buf[384];
  snprintf(buf, sizeof buf, "%s: %s (%s)", what, name, strerror(err));
  napi_value code, msg, error, errno_v;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_throw(env, error);
}

static void throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

/* ---------- argument helpers ---------- */

/* A string property into buf; 0 when absent/undefined, 1 when read, -1 on a type error. */
static int get_string(napi_env env, napi_value obj, const char *key, char *buf, size_t size) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return 0;
  napi_value v;
  napi_valuetype t;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok)
    return -1;
  if (t == napi_undefined) return 0;
  size_t len = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  if (len + 1 >= size) return -1;
  return 1;
}

static int get_u32(napi_env env, napi_value obj, const char *key, uint32_t *out) {
  napi_value v;
  if (napi_get_named_property(env, obj, key, &v) != napi_ok) return 0;
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static int family_af(uint32_t family) {
  return family == 4 ? AF_INET : family == 6 ? AF_INET6 : -1;
}

static int open_rtnl(napi_env env, const char *what) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw_errno(env, errno, what);
  return fd;
}

/* ---------- change ---------- */

static napi_value js_change(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  char op[16] = "";
  size_t oplen = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], op, sizeof op, &oplen) != napi_ok) {
    throw_type(env, "change(op, route): op must be 'add', 'replace' or 'del'");
    return NULL;
  }
  uint16_t type;
  uint16_t flags;
  if (strcmp(op, "add") == 0) {
    type = RTM_NEWROUTE;
    flags = NLM_F_CREATE | NLM_F_EXCL;
  } else if (strcmp(op, "replace") == 0) {
    type = RTM_NEWROUTE;
    flags = NLM_F_CREATE | NLM_F_REPLACE;
  } else if (strcmp(op, "del") == 0) {
    type = RTM_DELROUTE;
    flags = 0;
  } else {
    throw_type(env, "change(op, route): op must be 'add', 'replace' or 'del'");
    return NULL;
  }

  uint32_t family = 0, prefix = 0;
  char dst[INET6_ADDRSTRLEN] = "", gw[INET6_ADDRSTRLEN] = "", src[INET6_ADDRSTRLEN] = "";
  char dev[IF_NAMESIZE + 1] = "";
  int has_gw, has_src, has_dev;
  if (!get_u32(env, argv[1], "family", &family) || family_af(family) < 0 ||
      !get_u32(env, argv[1], "prefixLength", &prefix) ||
      get_string(env, argv[1], "dst", dst, sizeof dst) != 1 ||
      (has_gw = get_string(env, argv[1], "gateway", gw, sizeof gw)) < 0 ||
      (has_src = get_string(env, argv[1], "src", src, sizeof src)) < 0 ||
      (has_dev = get_string(env, argv[1], "dev", dev, sizeof dev)) < 0) {
    throw_type(env,
               "change: route must be { family: 4|6, dst, prefixLength, gateway?, dev?, src? }");
    return NULL;
  }
  int af = family_af(family);
  unsigned alen = af == AF_INET ? 4 : 16;
  unsigned char dst_b[16], gw_b[16], src_b[16];
  if (inet_pton(af, dst, dst_b) != 1 || prefix > alen * 8 ||
      (has_gw && inet_pton(af, gw, gw_b) != 1) || (has_src && inet_pton(af, src, src_b) != 1)) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "change: a bad address or prefix length");
    return NULL;
  }
  unsigned index = 0;
  if (has_dev) {
    index = if_nametoindex(dev);
    if (index == 0) {
      char what[64];
      snprintf(what, sizeof what, "no device %s", dev);
      throw_errno(env, errno == 0 ? ENODEV : errno, what);
      return NULL;
    }
  }

  nl_req r;
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  r.h.nlmsg_type = type;
  r.h.nlmsg_flags = flags;
  r.u.rt.rtm_family = (unsigned char)af;
  r.u.rt.rtm_dst_len = (unsigned char)prefix;
  r.u.rt.rtm_table = RT_TABLE_MAIN;
  if (type == RTM_DELROUTE) {
    /* as `ip route del`: any protocol and type, scope "nowhere" matches any scope */
    r.u.rt.rtm_scope = RT_SCOPE_NOWHERE;
  } else {
    /* as `ip route add`: boot protocol, unicast; a route without a gateway is on-link */
    r.u.rt.rtm_protocol = RTPROT_BOOT;
    r.u.rt.rtm_type = RTN_UNICAST;
    r.u.rt.rtm_scope = has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  }
  nl_attr(&r, RTA_DST, dst_b, (unsigned short)alen);
  if (has_gw) nl_attr(&r, RTA_GATEWAY, gw_b, (unsigned short)alen);
  if (has_dev) nl_attr(&r, RTA_OIF, &index, sizeof index);
  if (has_src) nl_attr(&r, RTA_PREFSRC, src_b, (unsigned short)alen);

  int fd = open_rtnl(env, "route: cannot open a netlink socket");
  if (fd < 0) return NULL;
  int err = nl_call(fd, &r, 1);
  close(fd);
  if (err) {
    char what[256];
    snprintf(what, sizeof what, "route %s %s/%u%s%s%s%s%s%s (netlink)", op, dst, prefix,
             has_gw ? " via " : "", has_gw ? gw : "", has_dev ? " dev " : "", has_dev ? dev : "",
             has_src ? " src " : "", has_src ? src : "");
    throw_errno(env, err, what);
  }
  return NULL;
}

/* ---------- reading routes ---------- */

typedef struct route_fields {
  int af;
  unsigned dst_len;
  unsigned char type;
  unsigned flags;
  int has_dst, has_gw, has_prefsrc, has_metric, has_mtu;
  unsigned char dst[16], gw[16], prefsrc[16];
  unsigned oif;
  uint32_t metric, table, mtu;
  const struct rtattr *multipath;
  int multipath_len;
} route_fields;

static void parse_route(const struct nlmsghdr *h, route_fields *f) {
  const struct rtmsg *rt = NLMSG_DATA(h);
  memset(f, 0, sizeof *f);
  f->af = rt->rtm_family;
  f->dst_len = rt->rtm_dst_len;
  f->type = rt->rtm_type;
  f->flags = rt->rtm_flags;
  f->table = rt->rtm_table;
  unsigned alen = f->af == AF_INET ? 4 : 16;
  int len = (int)RTM_PAYLOAD(h);
  for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    const void *d = RTA_DATA(a);
    unsigned n = RTA_PAYLOAD(a);
    switch (a->rta_type) {
      case RTA_DST:
        if (n == alen) memcpy(f->dst, d, alen), f->has_dst = 1;
        break;
      case RTA_GATEWAY:
        if (n == alen) memcpy(f->gw, d, alen), f->has_gw = 1;
        break;
      case RTA_PREFSRC:
        if (n == alen) memcpy(f->prefsrc, d, alen), f->has_prefsrc = 1;
        break;
      case RTA_OIF:
        if (n == 4) memcpy(&f->oif, d, 4);
        break;
      case RTA_PRIORITY:
        if (n == 4) memcpy(&f->metric, d, 4), f->has_metric = 1;
        break;
      case RTA_TABLE:
        if (n == 4) memcpy(&f->table, d, 4);
        break;
      case RTA_MULTIPATH:
        f->multipath = a;
        f->multipath_len = (int)n;
        break;
      case RTA_METRICS: {
        int mlen = (int)n;
        for (const struct rtattr *m = RTA_DATA(a); RTA_OK(m, mlen); m = RTA_NEXT(m, mlen))
          if (m->rta_type == RTAX_MTU && RTA_PAYLOAD(m) == 4) {
            memcpy(&f->mtu, RTA_DATA(m), 4);
            f->has_mtu = 1;
          }
        break;
      }
      default:
        break;
    }
  }
}

static void set_str(napi_env env, napi_value o, const char *key, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, key, v);
}

static void set_addr(napi_env env, napi_value o, const char *key, int af, const unsigned char *b) {
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(af, b, text, sizeof text)) set_str(env, o, key, text);
}

static void set_u32(napi_env env, napi_value o, const char *key, uint32_t x) {
  napi_value v;
  napi_create_uint32(env, x, &v);
  napi_set_named_property(env, o, key, v);
}

static void set_dev(napi_env env, napi_value o, unsigned index) {
  char name[IF_NAMESIZE];
  if (index && if_indextoname(index, name)) set_str(env, o, "dev", name);
}

/* The next-hop flags as `ip` names them. */
static napi_value flags_array(napi_env env, unsigned flags) {
  static const struct {
    unsigned bit;
    const char *name;
  } names[] = {{RTNH_F_DEAD, "dead"},         {RTNH_F_PERVASIVE, "pervasive"},
               {RTNH_F_ONLINK, "onlink"},     {RTNH_F_OFFLOAD, "offload"},
               {RTNH_F_LINKDOWN, "linkdown"}, {RTNH_F_UNRESOLVED, "unresolved"}};
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t n = 0;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (flags & names[i].bit) {
      napi_value s;
      napi_create_string_utf8(env, names[i].name, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, arr, n++, s);
    }
  return arr;
}

static const char *type_name(unsigned char t) {
  switch (t) {
    case RTN_UNICAST: return "unicast";
    case RTN_LOCAL: return "local";
    case RTN_BROADCAST: return "broadcast";
    case RTN_ANYCAST: return "anycast";
    case RTN_MULTICAST: return "multicast";
    case RTN_BLACKHOLE: return "blackhole";
    case RTN_UNREACHABLE: return "unreachable";
    case RTN_PROHIBIT: return "prohibit";
    case RTN_THROW: return "throw";
    case RTN_NAT: return "nat";
    default: return "other";
  }
}

typedef struct dump_ctx {
  napi_env env;
  napi_value arr;
  uint32_t count;
} dump_ctx;

static int on_dump(const struct nlmsghdr *h, void *p) {
  dump_ctx *c = p;
  if (h->nlmsg_type != RTM_NEWROUTE) return 0;
  route_fields f;
  parse_route(h, &f);
  const struct rtmsg *rt = NLMSG_DATA(h);
  /* the main table only, and no cached clones (what `ip route show table main` lists) */
  if (f.table != RT_TABLE_MAIN || (rt->rtm_flags & RTM_F_CLONED)) return 0;
  napi_env env = c->env;
  napi_value o;
  napi_create_object(env, &o);
  unsigned bits = f.af == AF_INET ? 32 : 128;
  if (f.dst_len == 0) {
    set_str(env, o, "dst", "default");
  } else {
    char text[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN] = "";
    static const unsigned char zero[16];
    inet_ntop(f.af, f.has_dst ? f.dst : zero, addr, sizeof addr);
    if (f.dst_len == bits) snprintf(text, sizeof text, "%s", addr);
    else snprintf(text, sizeof text, "%s/%u", addr, f.dst_len);
    set_str(env, o, "dst", text);
  }
  set_str(env, o, "type", type_name(f.type));
  if (f.has_gw) set_addr(env, o, "gateway", f.af, f.gw);
  set_dev(env, o, f.oif);
  if (f.has_metric) set_u32(env, o, "metric", f.metric);
  if (f.has_prefsrc) set_addr(env, o, "prefsrc", f.af, f.prefsrc);
  napi_set_named_property(env, o, "flags", flags_array(env, f.flags));
  if (f.multipath) {
    napi_value hops;
    napi_create_array(env, &hops);
    uint32_t n = 0;
    int left = f.multipath_len;
    const struct rtnexthop *nh = RTA_DATA(f.multipath);
    while (left >= (int)sizeof *nh && nh->rtnh_len >= sizeof *nh && nh->rtnh_len <= left) {
      napi_value hop;
      napi_create_object(env, &hop);
      set_dev(env, hop, (unsigned)nh->rtnh_ifindex);
      int alen = nh->rtnh_len - (int)sizeof *nh;
      for (const struct rtattr *a = RTNH_DATA(nh); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
        if (a->rta_type == RTA_GATEWAY && RTA_PAYLOAD(a) == (f.af == AF_INET ? 4u : 16u))
          set_addr(env, hop, "gateway", f.af, RTA_DATA(a));
      napi_set_named_property(env, hop, "flags", flags_array(env, nh->rtnh_flags));
      napi_set_element(env, hops, n++, hop);
      left -= RTNH_ALIGN(nh->rtnh_len);
      nh = RTNH_NEXT(nh);
    }
    napi_set_named_property(env, o, "nexthops", hops);
  }
  napi_set_element(env, c->arr, c->count++, o);
  return 0;
}

static napi_value js_dump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  uint32_t family = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &family) != napi_ok ||
      family_af(family) < 0) {
    throw_type(env, "dump(family): family must be 4 or 6");
    return NULL;
  }
  nl_req r;
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  r.h.nlmsg_type = RTM_GETROUTE;
  r.h.nlmsg_flags = NLM_F_DUMP;
  r.u.rt.rtm_family = (unsigned char)family_af(family);
  dump_ctx c = {.env = env, .count = 0};
  napi_create_array(env, &c.arr);
  int fd = open_rtnl(env, "route dump: cannot open a netlink socket");
  if (fd < 0) return NULL;
  int err = nl_exchange(fd, &r, 1, on_dump, &c);
  close(fd);
  if (err) {
    throw_errno(env, err, "route show table main (netlink)");
    return NULL;
  }
  return c.arr;
}

/* ---------- get ---------- */

typedef struct get_ctx {
  route_fields f;
  int found;
} get_ctx;

static int on_get(const struct nlmsghdr *h, void *p) {
  get_ctx *c = p;
  if (h->nlmsg_type != RTM_NEWROUTE) return 0;
  parse_route(h, &c->f);
  c->found = 1;
  return 1;
}

static napi_value js_get(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  uint32_t family = 0;
  char addr[INET6_ADDRSTRLEN] = "", dev[IF_NAMESIZE + 1] = "";
  size_t len = 0;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &family) != napi_ok ||
      family_af(family) < 0 ||
      napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &len) != napi_ok) {
    throw_type(env, "get(family, address[, dev])");
    return NULL;
  }
  int has_dev = 0;
  if (argc >= 3) {
    napi_valuetype t;
    napi_typeof(env, argv[2], &t);
    if (t == napi_string) {
      if (napi_get_value_string_utf8(env, argv[2], dev, sizeof dev, &len) != napi_ok ||
          len >= IF_NAMESIZE) {
        throw_type(env, "get: dev must be an interface name");
        return NULL;
      }
      has_dev = 1;
    } else if (t != napi_undefined) {
      throw_type(env, "get: dev must be an interface name");
      return NULL;
    }
  }
  int af = family_af(family);
  unsigned alen = af == AF_INET ? 4 : 16;
  unsigned char a[16];
  if (inet_pton(af, addr, a) != 1) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "get: a bad address");
    return NULL;
  }
  unsigned index = 0;
  if (has_dev && (index = if_nametoindex(dev)) == 0) {
    char what[64];
    snprintf(what, sizeof what, "no device %s", dev);
    throw_errno(env, errno == 0 ? ENODEV : errno, what);
    return NULL;
  }
  nl_req r;
  memset(&r, 0, sizeof r);
  r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
  r.h.nlmsg_type = RTM_GETROUTE;
  r.u.rt.rtm_family = (unsigned char)af;
  r.u.rt.rtm_dst_len = (unsigned char)(alen * 8);
  nl_attr(&r, RTA_DST, a, (unsigned short)alen);
  if (has_dev) nl_attr(&r, RTA_OIF, &index, sizeof index);
  get_ctx c;
  memset(&c, 0, sizeof c);
  int fd = open_rtnl(env, "route get: cannot open a netlink socket");
  if (fd < 0) return NULL;
  int err = nl_exchange(fd, &r, 1, on_get, &c);
  close(fd);
  if (err || !c.found) {
    char what[96];
    snprintf(what, sizeof what, "route get %s%s%s (netlink)", addr, has_dev ? " oif " : "",
             has_dev ? dev : "");
    throw_errno(env, err ? err : ENETUNREACH, what);
    return NULL;
  }
  napi_value o;
  napi_create_object(env, &o);
  set_str(env, o, "type", type_name(c.f.type));
  if (c.f.has_gw) set_addr(env, o, "gateway", af, c.f.gw);
  set_dev(env, o, c.f.oif);
  if (c.f.has_prefsrc) set_addr(env, o, "prefsrc", af, c.f.prefsrc);
  if (c.f.has_mtu) set_u32(env, o, "mtu", c.f.mtu);
  return o;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"change", NULL, js_change, NULL, NULL, NULL, napi_enumerable, NULL},
      {"get", NULL, js_get, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dump", NULL, js_dump, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
