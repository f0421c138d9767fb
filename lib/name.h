/*
 * name.h - node and gate names: 1..NAME_MAX_LEN bytes of [A-Za-z0-9._-].
 * One rule for certificates' common names, HELLOs, DATA origins and gate
 * names, so that a name printed anywhere can be trusted to be plain.
 */
#ifndef CLOUDVPN_NAME_H
#define CLOUDVPN_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN 64

bool node_name_valid(const char *s, size_t len);

#endif
