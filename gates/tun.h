/*
 * tun.h - TUN/TAP devices for ip-gate and ether-gate: open or attach,
 * set MTU, MAC and link state, read and write packets.  Linux only.
 */
#ifndef CLOUDVPN_TUN_H
#define CLOUDVPN_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum tun_kind { TUN_L3, TUN_L2 };	/* IFF_TUN (IP packets), IFF_TAP (frames) */

/* Open /dev/net/tun as `name' (a pattern like "tap%d" or a fixed name; the
 * real name is written back), IFF_NO_PI, non-blocking.  persist: keep the
 * device when the fd closes; vnet: IFF_VNET_HDR (a 10-byte virtio-net
 * header leads every packet read and written).  Returns the fd or -errno;
 * err says why. */
int tun_open(enum tun_kind kind, char *name, size_t namelen, bool persist, bool vnet,
	     char *err, size_t errlen);
int tun_set_mtu(const char *name, int mtu);		/* 0 or -errno */
int tun_set_mac(const char *name, const uint8_t mac[6]);
int tun_get_mac(const char *name, uint8_t mac[6]);
int tun_set_up(const char *name, bool up);
int tun_set_promisc(const char *name, bool on);
/* Run a command with no shell (argv[0] absolute or found in PATH), wait
 * for it; 0 when it exited 0, else -1 with err set.  For `ip addr ...',
 * `ip route ...' and the iface_up_cmd/iface_down_cmd scripts (run through
 * /bin/sh -c with IFACE set in the environment by tun_run_script). */
int tun_run(char *const argv[], char *err, size_t errlen);
int tun_run_script(const char *cmd, const char *iface, char *err, size_t errlen);

#endif
