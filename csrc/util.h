/*
 * util.h - every layer's header, for a file that uses most of them. It
 * declares nothing itself: each function is declared by the header of the
 * file that defines it.
 */
#ifndef VNET_UTIL_H
#define VNET_UTIL_H

#include "compat.h"
#include "errors.h"
#include "sock.h"
#include "box.h"
#include "opts.h"
#include "ip.h"
#include "names.h"
#include "netns.h"
#include "core.h"

#endif
