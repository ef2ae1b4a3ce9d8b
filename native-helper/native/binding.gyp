# The TUN device addon (Node-API, plain C): built by `npm ci` (package.json "install" script)
# into build/Release/tsunagi_tun.node. Linux only for now: on other systems the target is
# 'none' (nothing to compile), so `npm ci` still succeeds there; the TypeScript side reports
# "not supported on this platform yet" without ever loading the addon.
# tsunagi_peercred: SO_PEERCRED for the helper's socket access check (src/peercred_linux.c).
# tsunagi_esp: batched ESP crypto through the running Node's own OpenSSL, resolved at run time
# with dlsym (src/esp_crypto_linux.c: links against no OpenSSL, so it loads under Electron's
# BoringSSL too and then reports what is missing).
# tsunagi_udp: batched UDP (recvmmsg/sendmmsg) for the IKE/ESP sockets (src/udp_linux.c).
# tsunagi_route: routes and route lookups over rtnetlink, no `ip` process (src/route_linux.c).
# tsunagi_nft: nftables rulesets through libnftables, loaded with dlopen at run time (links
# against no nftables library; without it the helper spawns `nft -f -`) (src/nft_linux.c).
{
  'targets': [
    {
      'target_name': 'tsunagi_tun',
      'conditions': [
        ['OS=="linux"', {
          'sources': ['src/tun_linux.c'],
          'cflags_c': ['-std=gnu11', '-Wall', '-Wextra', '-O2'],
          'cflags!': ['-O3'],
          'cflags_c!': ['-O3'],
        }, {
          'type': 'none',
        }],
      ],
    },
    {
      'target_name': 'tsunagi_peercred',
      'conditions': [
        ['OS=="linux"', {
          'sources': ['src/peercred_linux.c'],
          'cflags_c': ['-std=gnu11', '-Wall', '-Wextra', '-O2'],
          'cflags!': ['-O3'],
          'cflags_c!': ['-O3'],
        }, {
          'type': 'none',
        }],
      ],
    },
    {
      'target_name': 'tsunagi_esp',
      'conditions': [
        ['OS=="linux"', {
          'sources': ['src/esp_crypto_linux.c'],
          'cflags_c': ['-std=gnu11', '-Wall', '-Wextra', '-O2'],
          'cflags!': ['-O3'],
          'cflags_c!': ['-O3'],
          'libraries': ['-ldl'],
        }, {
          'type': 'none',
        }],
      ],
    },
    {
      'target_name': 'tsunagi_udp',
      'conditions': [
        ['OS=="linux"', {
          'sources': ['src/udp_linux.c'],
          'cflags_c': ['-std=gnu11', '-Wall', '-Wextra', '-O2'],
          'cflags!': ['-O3'],
          'cflags_c!': ['-O3'],
        }, {
          'type': 'none',
        }],
      ],
    },
    {
      'target_name': 'tsunagi_route',
      'conditions': [
        ['OS=="linux"', {
          'sources': ['src/route_linux.c'],
          'cflags_c': ['-std=gnu11', '-Wall', '-Wextra', '-O2'],
          'cflags!': ['-O3'],
          'cflags_c!': ['-O3'],
        }, {
          'type': 'none',
        }],
      ],
    },
    {
      'target_name': 'tsunagi_nft',
      'conditions': [
        ['OS=="linux"', {
          'sources': ['src/nft_linux.c'],
          'cflags_c': ['-std=gnu11', '-Wall', '-Wextra', '-O2'],
          'cflags!': ['-O3'],
          'cflags_c!': ['-O3'],
          'libraries': ['-ldl', '-lpthread'],
        }, {
          'type': 'none',
        }],
      ],
    },
  ],
}
