/*
 * tc_kinds.c - one row per qdisc kind (and its classes): the options each
 * writes into TCA_OPTIONS, as tc writes them, and reads back.
 *
 * Values read back are in base units: rates in bits per second, sizes in
 * bytes, times in seconds, probabilities in percent.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"

/* The TCA_OPTIONS payload as a struct of size n (NULL when shorter). */
static const void *opts_struct(const struct rtattr *opts, size_t n)
{
	return opts && RTA_PAYLOAD(opts) >= n ? RTA_DATA(opts) : NULL;
}

/* Indexes attributes nested in a (after skip bytes) into tb[0..max]. */
static void nested(const struct rtattr *a, size_t skip, const struct rtattr **tb,
		   unsigned max)
{
	if (!a) {
		memset(tb, 0, (max + 1) * sizeof *tb);
		return;
	}
	vn_attrs_index(RTA_DATA(a), RTA_PAYLOAD(a), skip, tb, max);
}

/* A 64-bit value: the attribute a64 where a reply has it, else v. */
static uint64_t u64_or(const struct rtattr *a64, uint64_t v)
{
	if (a64 && RTA_PAYLOAD(a64) >= 8)
		memcpy(&v, RTA_DATA(a64), 8);
	return v;
}

/* Copies the struct of n bytes in attribute a to out: 1, or 0 when a is
 * absent or shorter. */
static int get_struct(const struct rtattr *a, void *out, size_t n)
{
	if (!a || RTA_PAYLOAD(a) < n)
		return 0;
	memcpy(out, RTA_DATA(a), n);
	return 1;
}

static void set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}
static void set_rate(lua_State *L, const char *k, uint64_t bytes)
{
	if (bytes < (1ULL << 60))
		lua_pushinteger(L, (lua_Integer)(bytes * 8));
	else
		lua_pushnumber(L, (double)bytes * 8);
	lua_setfield(L, -2, k);
}
/* Sets field k to a rate the kernel keeps in a 32-bit field (rate32) and,
 * past 32 bits, in the 64-bit attribute a64; returns it (bytes/s). */
static uint64_t set_rate64(lua_State *L, const char *k, const struct rtattr *a64,
			   uint32_t rate32)
{
	uint64_t rate = u64_or(a64, rate32);
	set_rate(L, k, rate);
	return rate;
}
static void set_ns(lua_State *L, const char *k, int64_t ns)
{
	tc_push_ns(L, ns);
	lua_setfield(L, -2, k);
}
static void set_pct(lua_State *L, const char *k, uint32_t v)
{
	tc_push_percent(L, v);
	lua_setfield(L, -2, k);
}

static uint32_t u32_opt(lua_State *L, int idx, const char *fn, const char *key,
			uint32_t dflt, int *has)
{
	lua_Integer n;
	int h = vn_opt_int(L, idx, fn, key, 0, 0xffffffffLL, &n);
	if (has)
		*has = h;
	return h ? (uint32_t)n : dflt;
}

/* A rate (bytes/s) as a 32-bit field holds it: ~0 past 32 bits, where the
 * kind's 64-bit attribute (put_rate64) carries it. */
static uint32_t rate32(uint64_t rate)
{
	return rate >= (1ULL << 32) ? 0xffffffffu : (uint32_t)rate;
}
static void put_rate64(lua_State *L, tc_buf *b, int type, uint64_t rate)
{
	if (rate >= (1ULL << 32))
		tc_put(L, b, type, &rate, sizeof rate);
}

/* Writes option key (0..2^32-1), when given, as the u32 attribute type. */
static void put_u32_opt(lua_State *L, int idx, tc_buf *b, const char *key, int type)
{
	int has;
	uint32_t v = u32_opt(L, idx, b->fn, key, 0, &has);
	if (has)
		tc_put_u32(L, b, type, v);
}

/* ---- netem ------------------------------------------------------------------ */
static const char *const netem_keys[] = { "delay", "jitter", "correlation",
	"distribution", "loss", "loss_correlation", "duplicate", "duplicate_correlation",
	"reorder", "reorder_correlation", "gap", "corrupt", "corrupt_correlation", "rate",
	"packet_overhead", "cell_size", "cell_overhead", "limit", "slot", "ecn", NULL };

#define NS_MAX ((int64_t)1 << 53)   /* times: below 2^53 ns (104 days), exact */

static const char *const dist_dirs[] = { "/usr/lib/tc", "/usr/lib64/tc",
	"/usr/lib/x86_64-linux-gnu/tc", "/usr/lib/aarch64-linux-gnu/tc",
	"/usr/local/lib/tc", "/lib/tc", NULL };

/* Reads a distribution table (tc's NAME.dist files) into d (room for
 * NETEM_DIST_MAX values): the count, or -1 (no file), -2 (bad file). */
static int read_dist(const char *name, int16_t *d)
{
	char path[256];
	FILE *f = NULL;
	int i, n = 0, c;
	for (i = 0; dist_dirs[i] && !f; i++) {
		snprintf(path, sizeof path, "%s/%s.dist", dist_dirs[i], name);
		f = fopen(path, "re");
	}
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF) {
		long v;
		if (c == '#') {
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		ungetc(c, f);
		if (fscanf(f, "%ld", &v) != 1 || v < -32768 || v > 32767 || n >= NETEM_DIST_MAX) {
			fclose(f);
			return -2;
		}
		d[n++] = (int16_t)v;
	}
	fclose(f);
	return n;
}

static void netem_parse(lua_State *L, int idx, tc_buf *b)
{
	const char *fn = b->fn;
	struct tc_netem_qopt q;
	struct tc_netem_corr corr;
	struct tc_netem_reorder reorder;
	struct tc_netem_corrupt corrupt;
	struct tc_netem_rate rate;
	struct tc_netem_slot slot;
	struct tc_netem_gemodel ge;
	int64_t latency = 0, jitter = 0;
	uint64_t rate64 = 0;
	int has_delay, has_jitter, has_rate, has_slot = 0, has_ge = 0, ecn = 0, has_ecn, h;
	int16_t *dist = NULL;
	int ndist = 0;
	lua_Integer n;
	size_t off;

	memset(&q, 0, sizeof q);
	memset(&corr, 0, sizeof corr);
	memset(&reorder, 0, sizeof reorder);
	memset(&corrupt, 0, sizeof corrupt);
	memset(&rate, 0, sizeof rate);
	memset(&slot, 0, sizeof slot);
	memset(&ge, 0, sizeof ge);
	q.limit = u32_opt(L, idx, fn, "limit", 1000, NULL);
	has_delay = tc_opt_time(L, idx, fn, "delay", NS_MAX, &latency);
	has_jitter = tc_opt_time(L, idx, fn, "jitter", NS_MAX, &jitter);
	q.latency = tc_time2tick(latency);
	q.jitter = tc_time2tick(jitter);
	tc_opt_percent(L, idx, fn, "correlation", &corr.delay_corr);
	lua_getfield(L, idx, "loss");
	if (lua_istable(L, -1)) {
		static const char *const gekeys[] = { "model", "p", "r", "1-h", "1-k", NULL };
		static const char *const models[] = { "gemodel", NULL };
		char sub[64];
		int m, t = lua_gettop(L);
		snprintf(sub, sizeof sub, "%s: option 'loss'", fn);
		vn_opts_check(L, t, sub, gekeys);
		if (!vn_opt_enum(L, t, sub, "model", models, &m))
			luaL_error(L, "%s: option 'loss' as a table needs model = 'gemodel'", fn);
		if (!tc_opt_percent(L, t, sub, "p", &ge.p))
			luaL_error(L, "%s: option 'loss' needs 'p'", fn);
		/* tc's defaults: r 100%, 1-h 100%, 1-k 0% */
		ge.r = 0xffffffffu;
		tc_opt_percent(L, t, sub, "r", &ge.r);
		if (tc_opt_percent(L, t, sub, "1-h", &ge.h))
			ge.h = 0xffffffffu - ge.h;
		tc_opt_percent(L, t, sub, "1-k", &ge.k1);
		has_ge = 1;
		lua_pop(L, 1);
	} else {
		lua_pop(L, 1);
		tc_opt_percent(L, idx, fn, "loss", &q.loss);
	}
	tc_opt_percent(L, idx, fn, "loss_correlation", &corr.loss_corr);
	tc_opt_percent(L, idx, fn, "duplicate", &q.duplicate);
	tc_opt_percent(L, idx, fn, "duplicate_correlation", &corr.dup_corr);
	tc_opt_percent(L, idx, fn, "reorder", &reorder.probability);
	tc_opt_percent(L, idx, fn, "reorder_correlation", &reorder.correlation);
	q.gap = u32_opt(L, idx, fn, "gap", 0, NULL);
	tc_opt_percent(L, idx, fn, "corrupt", &corrupt.probability);
	tc_opt_percent(L, idx, fn, "corrupt_correlation", &corrupt.correlation);
	if ((has_rate = tc_opt_rate(L, idx, fn, "rate", &rate64))) {
		rate64 /= 8;
		rate.rate = rate32(rate64);
	}
	if (vn_opt_int(L, idx, fn, "packet_overhead", INT_MIN, INT_MAX, &n))
		rate.packet_overhead = (int32_t)n;
	rate.cell_size = u32_opt(L, idx, fn, "cell_size", 0, &h);
	if (vn_opt_int(L, idx, fn, "cell_overhead", INT_MIN, INT_MAX, &n))
		rate.cell_overhead = (int32_t)n;
	if (!has_rate && (rate.packet_overhead || rate.cell_size || rate.cell_overhead))
		luaL_error(L, "%s: 'packet_overhead', 'cell_size' and 'cell_overhead' go with 'rate'", fn);
	lua_getfield(L, idx, "slot");
	if (lua_istable(L, -1)) {
		static const char *const skeys[] = { "min", "max", "packets", "bytes", NULL };
		char sub[64];
		int t = lua_gettop(L);
		snprintf(sub, sizeof sub, "%s: option 'slot'", fn);
		vn_opts_check(L, t, sub, skeys);
		int64_t t64 = 0;
		if (!tc_opt_time(L, t, sub, "min", NS_MAX, &t64))
			luaL_error(L, "%s: option 'slot' needs 'min'", fn);
		slot.min_delay = t64;
		if (tc_opt_time(L, t, sub, "max", NS_MAX, &t64))
			slot.max_delay = t64;
		if (vn_opt_int(L, t, sub, "packets", 1, INT_MAX, &n))
			slot.max_packets = (int32_t)n;
		if (vn_opt_int(L, t, sub, "bytes", 1, INT_MAX, &n))
			slot.max_bytes = (int32_t)n;
		has_slot = 1;
	} else if (!lua_isnil(L, -1)) {
		slot.min_delay = tc_check_time(L, -1, fn, "option 'slot'", NS_MAX);
		has_slot = 1;
	}
	lua_pop(L, 1);
	if (has_slot && slot.max_delay < slot.min_delay)
		slot.max_delay = slot.min_delay;
	if ((has_ecn = vn_opt_bool(L, idx, fn, "ecn", &ecn)) && ecn && !q.loss && !has_ge)
		luaL_error(L, "%s: option 'ecn' needs 'loss'", fn);
	lua_getfield(L, idx, "distribution");
	if (!lua_isnil(L, -1)) {
		int t = lua_gettop(L);
		if (!has_delay || !has_jitter || !latency || !jitter)
			luaL_error(L, "%s: option 'distribution' needs 'delay' and 'jitter'", fn);
		dist = (int16_t *)lua_newuserdata(L, NETEM_DIST_MAX * sizeof *dist);
		if (lua_type(L, t) == LUA_TSTRING) {
			const char *name = vn_check_str(L, t, fn, "option 'distribution'", 64);
			if (strchr(name, '/') || !*name)
				luaL_error(L, "%s: option 'distribution' '%s' is not a table name", fn, name);
			ndist = read_dist(name, dist);
			if (ndist == -1)
				luaL_error(L, "%s: option 'distribution': no table '%s.dist' (iproute2 "
					   "installs normal, pareto, paretonormal)", fn, name);
			if (ndist < 0)
				luaL_error(L, "%s: option 'distribution': table '%s.dist' is not valid",
					   fn, name);
		} else if (lua_type(L, t) == LUA_TTABLE && !lua_getmetatable(L, t)) {
			size_t i, len = lua_rawlen(L, t);
			if (!len || len > NETEM_DIST_MAX)
				luaL_error(L, "%s: option 'distribution' must hold 1 to %d values", fn,
					   NETEM_DIST_MAX);
			for (i = 1; i <= len; i++) {
				lua_rawgeti(L, t, (lua_Integer)i);
				dist[i - 1] = (int16_t)vn_check_int(L, -1, fn,
						"a value of option 'distribution'", -32768, 32767);
				lua_pop(L, 1);
			}
			ndist = (int)len;
		} else {
			luaL_error(L, "%s: option 'distribution' must be a table name or a plain "
				   "list of numbers, got %s", fn, luaL_typename(L, t));
		}
	}
	if (reorder.probability) {
		if (!latency)
			luaL_error(L, "%s: option 'reorder' needs 'delay'", fn);
		if (!q.gap)
			q.gap = 1;
	} else if (q.gap) {
		luaL_error(L, "%s: option 'gap' needs 'reorder'", fn);
	}

	off = NLMSG_ALIGN(TC_HDR(b)->nlmsg_len);
	tc_put(L, b, TCA_OPTIONS, &q, sizeof q);
	tc_put(L, b, TCA_NETEM_CORR, &corr, sizeof corr);
	/* reorder, corrupt, ecn, slot and rate are sent even when not given
	 * (zero: none): the kernel keeps the old ones of a qdisc changed or
	 * replaced in place when they are left out, and a change is to leave
	 * every option not given at its default */
	tc_put(L, b, TCA_NETEM_REORDER, &reorder, sizeof reorder);
	if (has_ge) {
		size_t lo = tc_nest(L, b, TCA_NETEM_LOSS);
		tc_put(L, b, NETEM_LOSS_GE, &ge, sizeof ge);
		tc_nest_end(b, lo);
	}
	tc_put_u32(L, b, TCA_NETEM_ECN, has_ecn ? (uint32_t)ecn : 0);
	tc_put(L, b, TCA_NETEM_CORRUPT, &corrupt, sizeof corrupt);
	tc_put(L, b, TCA_NETEM_SLOT, &slot, sizeof slot);
	if (has_rate)
		put_rate64(L, b, TCA_NETEM_RATE64, rate64);
	tc_put(L, b, TCA_NETEM_RATE, &rate, sizeof rate);
	if (has_delay)
		tc_put(L, b, TCA_NETEM_LATENCY64, &latency, sizeof latency);
	if (has_jitter)
		tc_put(L, b, TCA_NETEM_JITTER64, &jitter, sizeof jitter);
	if (ndist)
		tc_put(L, b, TCA_NETEM_DELAY_DIST, dist, (size_t)ndist * sizeof *dist);
	tc_nest_end(b, off);
}

/* A netem probability and its correlation (attribute a: a tc_netem_reorder
 * or a tc_netem_corrupt, the same two u32) as k and kc, when not 0. */
static void set_chance(lua_State *L, const struct rtattr *a, const char *k, const char *kc)
{
	struct tc_netem_corrupt c;
	if (!get_struct(a, &c, sizeof c) || !c.probability)
		return;
	set_pct(L, k, c.probability);
	if (c.correlation)
		set_pct(L, kc, c.correlation);
}

static void netem_push(lua_State *L, const struct rtattr *opts)
{
	const struct tc_netem_qopt *q = (const struct tc_netem_qopt *)opts_struct(opts, sizeof *q);
	const struct rtattr *a[TCA_NETEM_MAX + 1];
	struct tc_netem_slot slot;
	int64_t v64;
	if (!q)
		return;
	nested(opts, sizeof *q, a, TCA_NETEM_MAX);
	set_int(L, "limit", q->limit);
	v64 = (int64_t)u64_or(a[TCA_NETEM_LATENCY64], (uint64_t)tc_tick2ns(q->latency));
	if (v64)
		set_ns(L, "delay", v64);
	v64 = (int64_t)u64_or(a[TCA_NETEM_JITTER64], (uint64_t)tc_tick2ns(q->jitter));
	if (v64)
		set_ns(L, "jitter", v64);
	if (a[TCA_NETEM_CORR] && RTA_PAYLOAD(a[TCA_NETEM_CORR]) >= sizeof(struct tc_netem_corr)) {
		const struct tc_netem_corr *c = (const struct tc_netem_corr *)RTA_DATA(a[TCA_NETEM_CORR]);
		if (c->delay_corr) set_pct(L, "correlation", c->delay_corr);
		if (c->loss_corr) set_pct(L, "loss_correlation", c->loss_corr);
		if (c->dup_corr) set_pct(L, "duplicate_correlation", c->dup_corr);
	}
	{
		const struct rtattr *ge = vn_rta_nested(a[TCA_NETEM_LOSS], NETEM_LOSS_GE);
		if (ge && RTA_PAYLOAD(ge) >= sizeof(struct tc_netem_gemodel)) {
			const struct tc_netem_gemodel *g = (const struct tc_netem_gemodel *)RTA_DATA(ge);
			lua_createtable(L, 0, 5);
			lua_pushliteral(L, "gemodel");
			lua_setfield(L, -2, "model");
			set_pct(L, "p", g->p);
			set_pct(L, "r", g->r);
			set_pct(L, "1-h", 0xffffffffu - g->h);
			set_pct(L, "1-k", g->k1);
			lua_setfield(L, -2, "loss");
		} else if (q->loss) {
			set_pct(L, "loss", q->loss);
		}
	}
	if (q->duplicate)
		set_pct(L, "duplicate", q->duplicate);
	set_chance(L, a[TCA_NETEM_REORDER], "reorder", "reorder_correlation");
	if (q->gap)
		set_int(L, "gap", q->gap);
	set_chance(L, a[TCA_NETEM_CORRUPT], "corrupt", "corrupt_correlation");
	if (a[TCA_NETEM_RATE] && RTA_PAYLOAD(a[TCA_NETEM_RATE]) >= sizeof(struct tc_netem_rate)) {
		const struct tc_netem_rate *r = (const struct tc_netem_rate *)RTA_DATA(a[TCA_NETEM_RATE]);
		uint64_t r64 = u64_or(a[TCA_NETEM_RATE64], r->rate);
		if (r64) {
			set_rate(L, "rate", r64);
			if (r->packet_overhead) set_int(L, "packet_overhead", r->packet_overhead);
			if (r->cell_size) set_int(L, "cell_size", r->cell_size);
			if (r->cell_overhead) set_int(L, "cell_overhead", r->cell_overhead);
		}
	}
	if (get_struct(a[TCA_NETEM_SLOT], &slot, sizeof slot)) {
		lua_createtable(L, 0, 4);
		set_ns(L, "min", slot.min_delay);
		set_ns(L, "max", slot.max_delay);
		if (slot.max_packets > 0 && slot.max_packets < INT_MAX) set_int(L, "packets", slot.max_packets);
		if (slot.max_bytes > 0 && slot.max_bytes < INT_MAX) set_int(L, "bytes", slot.max_bytes);
		lua_setfield(L, -2, "slot");
	}
	if (a[TCA_NETEM_ECN] && vn_rta_u32(a[TCA_NETEM_ECN])) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "ecn");
	}
}

/* ---- tbf ------------------------------------------------------------------------ */
static const char *const tbf_keys[] = { "rate", "burst", "limit", "latency", "peakrate",
	"mtu", NULL };

static void tbf_parse(lua_State *L, int idx, tc_buf *b)
{
	const char *fn = b->fn;
	struct tc_tbf_qopt q;
	uint64_t rate = 0, prate = 0, burst = 0, mtu = 0, limit = 0;
	int64_t lat = 0;
	int has_limit, has_lat;
	size_t off;
	memset(&q, 0, sizeof q);
	if (!tc_opt_rate(L, idx, fn, "rate", &rate) || rate < 8)
		luaL_error(L, "%s: option 'rate' is required (e.g. '10mbit')", fn);
	if (!tc_opt_size(L, idx, fn, "burst", 0xffffffffu, &burst) || !burst)
		luaL_error(L, "%s: option 'burst' is required (e.g. '32kb')", fn);
	has_limit = tc_opt_size(L, idx, fn, "limit", 0xffffffffu, &limit);
	has_lat = tc_opt_time(L, idx, fn, "latency", NS_MAX, &lat);
	if (has_limit == has_lat)
		luaL_error(L, "%s: give one of 'limit' and 'latency'", fn);
	if (tc_opt_rate(L, idx, fn, "peakrate", &prate) && prate) {
		if (!tc_opt_size(L, idx, fn, "mtu", 0xffffffffu, &mtu) || !mtu)
			luaL_error(L, "%s: option 'peakrate' needs 'mtu'", fn);
	} else if (tc_opt_size(L, idx, fn, "mtu", 0xffffffffu, &mtu)) {
		luaL_error(L, "%s: option 'mtu' goes with 'peakrate'", fn);
	}
	rate /= 8;
	prate /= 8;
	if (has_lat) {
		double lim = (double)rate * ((double)lat / 1e9) + (double)burst;
		if (prate) {
			double lim2 = (double)prate * ((double)lat / 1e9) + (double)mtu;
			if (lim2 < lim)
				lim = lim2;
		}
		limit = lim >= 4294967295. ? 0xffffffffu : (uint64_t)lim;
	}
	q.limit = (uint32_t)limit;
	q.rate.rate = rate32(rate);
	q.rate.linklayer = TC_LINKLAYER_ETHERNET;
	q.buffer = tc_xmittime(rate, burst);
	if (prate) {
		q.peakrate.rate = rate32(prate);
		q.peakrate.linklayer = TC_LINKLAYER_ETHERNET;
		q.mtu = tc_xmittime(prate, mtu);
	}
	off = tc_nest(L, b, TCA_OPTIONS);
	tc_put(L, b, TCA_TBF_PARMS, &q, sizeof q);
	tc_put_u32(L, b, TCA_TBF_BURST, (uint32_t)burst);
	put_rate64(L, b, TCA_TBF_RATE64, rate);
	if (prate) {
		put_rate64(L, b, TCA_TBF_PRATE64, prate);
		tc_put_u32(L, b, TCA_TBF_PBURST, (uint32_t)mtu);
	}
	tc_nest_end(b, off);
}

static void tbf_push(lua_State *L, const struct rtattr *opts)
{
	const struct rtattr *a[TCA_TBF_MAX + 1];
	struct tc_tbf_qopt q;
	uint64_t rate, prate;
	double lat;
	nested(opts, 0, a, TCA_TBF_MAX);
	if (!get_struct(a[TCA_TBF_PARMS], &q, sizeof q))
		return;
	rate = set_rate64(L, "rate", a[TCA_TBF_RATE64], q.rate.rate);
	prate = u64_or(a[TCA_TBF_PRATE64], q.peakrate.rate);
	set_int(L, "burst", tc_xmitsize(rate, q.buffer));
	set_int(L, "limit", q.limit);
	if (prate) {
		set_rate(L, "peakrate", prate);
		set_int(L, "mtu", tc_xmitsize(prate, q.mtu));
	}
	if (!rate)
		return;
	/* as tc prints it: the time the limit holds past the burst */
	lat = 1e6 * ((double)q.limit / (double)rate) - (double)(uint32_t)((double)q.buffer / 15.625);
	if (prate) {
		double lat2 = 1e6 * ((double)q.limit / (double)prate) -
			      (double)(uint32_t)((double)q.mtu / 15.625);
		if (lat2 > lat)
			lat = lat2;
	}
	if (lat >= 0) {
		lua_pushnumber(L, (double)(uint32_t)lat / 1e6);   /* whole usec, as tc */
		lua_setfield(L, -2, "latency");
	}
}

/* ---- htb -------------------------------------------------------------------------- */
static const char *const htb_keys[] = { "default", "r2q", "direct_qlen", NULL };
static const char *const htb_class_keys[] = { "rate", "ceil", "burst", "cburst", "prio",
	"quantum", NULL };

static void htb_parse(lua_State *L, int idx, tc_buf *b)
{
	const char *fn = b->fn;
	struct tc_htb_glob g;
	size_t off;
	memset(&g, 0, sizeof g);
	g.version = 3;
	g.rate2quantum = u32_opt(L, idx, fn, "r2q", 10, NULL);
	lua_getfield(L, idx, "default");
	if (lua_type(L, -1) == LUA_TSTRING) {
		/* the minor of the default class, in hex as tc reads it ("10", "0x10") */
		const char *s = vn_check_str(L, -1, fn, "option 'default'", 16);
		lua_Integer n;
		char tmp[24];
		snprintf(tmp, sizeof tmp, "%s%s", strncmp(s, "0x", 2) ? "0x" : "", s);
		if (!vn_parse_int(tmp, 0, 0xffff, &n) || tmp[2] == '-')
			luaL_error(L, "%s: option 'default' '%s' is not a class minor in hex", fn, s);
		g.defcls = (uint32_t)n;
	} else if (!lua_isnil(L, -1)) {
		g.defcls = (uint32_t)vn_check_int(L, -1, fn, "option 'default'", 0, 0xffff);
	}
	lua_pop(L, 1);
	off = tc_nest(L, b, TCA_OPTIONS);
	tc_put(L, b, TCA_HTB_INIT, &g, sizeof g);
	put_u32_opt(L, idx, b, "direct_qlen", TCA_HTB_DIRECT_QLEN);
	tc_nest_end(b, off);
}

static void htb_push(lua_State *L, const struct rtattr *opts)
{
	const struct rtattr *a[TCA_HTB_MAX + 1];
	struct tc_htb_glob g;
	nested(opts, 0, a, TCA_HTB_MAX);
	if (get_struct(a[TCA_HTB_INIT], &g, sizeof g)) {
		set_int(L, "r2q", g.rate2quantum);
		set_int(L, "default", g.defcls);
	}
	if (a[TCA_HTB_DIRECT_QLEN])
		set_int(L, "direct_qlen", vn_rta_u32(a[TCA_HTB_DIRECT_QLEN]));
}

static void htb_class_parse(lua_State *L, int idx, tc_buf *b)
{
	const char *fn = b->fn;
	struct tc_htb_opt o;
	uint64_t rate = 0, ceil = 0, burst, cburst;
	lua_Integer n;
	size_t off;
	memset(&o, 0, sizeof o);
	if (!tc_opt_rate(L, idx, fn, "rate", &rate) || rate < 8)
		luaL_error(L, "%s: option 'rate' is required (e.g. '10mbit')", fn);
	if (!tc_opt_rate(L, idx, fn, "ceil", &ceil) || ceil < 8)
		ceil = rate;
	rate /= 8;
	ceil /= 8;
	/* tc's defaults: what a tick (1/HZ, HZ 1e9 on high resolution
	 * timers) sends plus an mtu of 1600 */
	if (!tc_opt_size(L, idx, fn, "burst", 0xffffffffu, &burst))
		burst = rate / 1000000000u + 1600;
	if (!tc_opt_size(L, idx, fn, "cburst", 0xffffffffu, &cburst))
		cburst = ceil / 1000000000u + 1600;
	if (vn_opt_int(L, idx, fn, "prio", 0, 7, &n))
		o.prio = (uint32_t)n;
	o.quantum = u32_opt(L, idx, fn, "quantum", 0, NULL);
	o.rate.rate = rate32(rate);
	o.rate.linklayer = TC_LINKLAYER_ETHERNET;
	o.ceil.rate = rate32(ceil);
	o.ceil.linklayer = TC_LINKLAYER_ETHERNET;
	o.buffer = tc_xmittime(rate, burst);
	o.cbuffer = tc_xmittime(ceil, cburst);
	/* the kernel keeps htb's buffers as 32-bit ticks (64 ns): a burst past
	 * them would be cut silently */
	if (o.buffer == 0xffffffffu)
		luaL_error(L, "%s: option 'burst' is too large for 'rate' (at most %d bytes)", fn,
			   (int)tc_xmitsize(rate, 0xfffffffeu));
	if (o.cbuffer == 0xffffffffu)
		luaL_error(L, "%s: option 'cburst' is too large for 'ceil' (at most %d bytes)", fn,
			   (int)tc_xmitsize(ceil, 0xfffffffeu));
	off = tc_nest(L, b, TCA_OPTIONS);
	put_rate64(L, b, TCA_HTB_RATE64, rate);
	put_rate64(L, b, TCA_HTB_CEIL64, ceil);
	tc_put(L, b, TCA_HTB_PARMS, &o, sizeof o);
	tc_nest_end(b, off);
}

static void htb_class_push(lua_State *L, const struct rtattr *opts)
{
	const struct rtattr *a[TCA_HTB_MAX + 1];
	struct tc_htb_opt o;
	uint64_t rate, ceil;
	nested(opts, 0, a, TCA_HTB_MAX);
	if (!get_struct(a[TCA_HTB_PARMS], &o, sizeof o))
		return;
	rate = set_rate64(L, "rate", a[TCA_HTB_RATE64], o.rate.rate);
	ceil = set_rate64(L, "ceil", a[TCA_HTB_CEIL64], o.ceil.rate);
	set_int(L, "burst", tc_xmitsize(rate, o.buffer));
	set_int(L, "cburst", tc_xmitsize(ceil, o.cbuffer));
	set_int(L, "prio", o.prio);
	set_int(L, "quantum", o.quantum);
	set_int(L, "level", o.level);
}

/* ---- prio ------------------------------------------------------------------------------ */
static const char *const prio_keys[] = { "bands", "priomap", NULL };

static void prio_parse(lua_State *L, int idx, tc_buf *b)
{
	static const uint8_t dflt[TC_PRIO_MAX + 1] = { 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 };
	const char *fn = b->fn;
	struct tc_prio_qopt q;
	lua_Integer n;
	memset(&q, 0, sizeof q);
	q.bands = 3;
	if (vn_opt_int(L, idx, fn, "bands", 2, TCQ_PRIO_BANDS, &n))
		q.bands = (int)n;
	memcpy(q.priomap, dflt, sizeof dflt);
	lua_getfield(L, idx, "priomap");
	if (!lua_isnil(L, -1)) {
		int t = lua_gettop(L), i;
		if (!lua_istable(L, t) || lua_getmetatable(L, t) || lua_rawlen(L, t) != TC_PRIO_MAX + 1)
			luaL_error(L, "%s: option 'priomap' must be a plain list of 16 bands", fn);
		for (i = 1; i <= TC_PRIO_MAX + 1; i++) {
			lua_rawgeti(L, t, i);
			q.priomap[i - 1] = (uint8_t)vn_check_int(L, -1, fn, "a band of option 'priomap'",
								 0, q.bands - 1);
			lua_pop(L, 1);
		}
	} else {
		for (int i = 0; i <= TC_PRIO_MAX; i++)
			if (q.priomap[i] >= q.bands)
				q.priomap[i] = (uint8_t)(q.bands - 1);
	}
	lua_pop(L, 1);
	tc_put(L, b, TCA_OPTIONS, &q, sizeof q);
}

static void prio_push(lua_State *L, const struct rtattr *opts)
{
	const struct tc_prio_qopt *q = (const struct tc_prio_qopt *)opts_struct(opts, sizeof *q);
	int i;
	if (!q)
		return;
	set_int(L, "bands", q->bands);
	lua_createtable(L, TC_PRIO_MAX + 1, 0);
	for (i = 0; i <= TC_PRIO_MAX; i++) {
		lua_pushinteger(L, q->priomap[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "priomap");
}

/* ---- sfq ------------------------------------------------------------------------------- */
static const char *const sfq_keys[] = { "quantum", "perturb", "limit", "divisor", "flows",
	"depth", "headdrop", NULL };

static void sfq_parse(lua_State *L, int idx, tc_buf *b)
{
	const char *fn = b->fn;
	struct tc_sfq_qopt_v1 q;
	uint64_t quantum;
	int64_t perturb;
	lua_Integer n;
	int hd = 0;
	memset(&q, 0, sizeof q);
	if (tc_opt_size(L, idx, fn, "quantum", 0xffffffffu, &quantum))
		q.v0.quantum = (unsigned)quantum;
	if (tc_opt_time(L, idx, fn, "perturb", (int64_t)INT_MAX * 1000000000, &perturb))
		q.v0.perturb_period = (int)(perturb / 1000000000);
	q.v0.limit = u32_opt(L, idx, fn, "limit", 0, NULL);
	if (vn_opt_int(L, idx, fn, "divisor", 1, 65536, &n))
		q.v0.divisor = (unsigned)n;
	if (vn_opt_int(L, idx, fn, "flows", 1, 65536, &n))
		q.v0.flows = (unsigned)n;
	q.depth = u32_opt(L, idx, fn, "depth", 0, NULL);
	vn_opt_bool(L, idx, fn, "headdrop", &hd);
	q.headdrop = (unsigned)hd;
	tc_put(L, b, TCA_OPTIONS, &q, sizeof q);
}

static void sfq_push(lua_State *L, const struct rtattr *opts)
{
	const struct tc_sfq_qopt *q = (const struct tc_sfq_qopt *)opts_struct(opts, sizeof *q);
	const struct tc_sfq_qopt_v1 *q1 = (const struct tc_sfq_qopt_v1 *)opts_struct(opts, sizeof *q1);
	if (!q)
		return;
	set_int(L, "quantum", q->quantum);
	set_int(L, "perturb", q->perturb_period);
	set_int(L, "limit", q->limit);
	set_int(L, "divisor", q->divisor);
	set_int(L, "flows", q->flows);
	if (q1) {
		set_int(L, "depth", q1->depth);
		lua_pushboolean(L, q1->headdrop != 0);
		lua_setfield(L, -2, "headdrop");
	}
}

/* ---- fq_codel ---------------------------------------------------------------------------- */
static const char *const fq_codel_keys[] = { "limit", "flows", "target", "interval",
	"quantum", "ecn", "ce_threshold", "memory_limit", "drop_batch", NULL };

static void fq_codel_parse(lua_State *L, int idx, tc_buf *b)
{
	const char *fn = b->fn;
	int64_t t;
	uint64_t sz;
	int ecn;
	size_t off;
	off = tc_nest(L, b, TCA_OPTIONS);
	put_u32_opt(L, idx, b, "limit", TCA_FQ_CODEL_LIMIT);
	put_u32_opt(L, idx, b, "flows", TCA_FQ_CODEL_FLOWS);
	if (tc_opt_time(L, idx, fn, "target", (int64_t)0xffffffffu * 1000, &t))
		tc_put_u32(L, b, TCA_FQ_CODEL_TARGET, (uint32_t)(t / 1000));
	if (tc_opt_time(L, idx, fn, "interval", (int64_t)0xffffffffu * 1000, &t))
		tc_put_u32(L, b, TCA_FQ_CODEL_INTERVAL, (uint32_t)(t / 1000));
	if (tc_opt_size(L, idx, fn, "quantum", 0xffffffffu, &sz))
		tc_put_u32(L, b, TCA_FQ_CODEL_QUANTUM, (uint32_t)sz);
	if (vn_opt_bool(L, idx, fn, "ecn", &ecn))
		tc_put_u32(L, b, TCA_FQ_CODEL_ECN, (uint32_t)ecn);
	if (tc_opt_time(L, idx, fn, "ce_threshold", (int64_t)0xffffffffu * 1000, &t))
		tc_put_u32(L, b, TCA_FQ_CODEL_CE_THRESHOLD, (uint32_t)(t / 1000));
	if (tc_opt_size(L, idx, fn, "memory_limit", 0xffffffffu, &sz))
		tc_put_u32(L, b, TCA_FQ_CODEL_MEMORY_LIMIT, (uint32_t)sz);
	put_u32_opt(L, idx, b, "drop_batch", TCA_FQ_CODEL_DROP_BATCH_SIZE);
	tc_nest_end(b, off);
}

static void fq_codel_push(lua_State *L, const struct rtattr *opts)
{
	const struct rtattr *a[TCA_FQ_CODEL_MAX + 1];
	nested(opts, 0, a, TCA_FQ_CODEL_MAX);
	if (a[TCA_FQ_CODEL_LIMIT]) set_int(L, "limit", vn_rta_u32(a[TCA_FQ_CODEL_LIMIT]));
	if (a[TCA_FQ_CODEL_FLOWS]) set_int(L, "flows", vn_rta_u32(a[TCA_FQ_CODEL_FLOWS]));
	if (a[TCA_FQ_CODEL_TARGET])
		set_ns(L, "target", (int64_t)vn_rta_u32(a[TCA_FQ_CODEL_TARGET]) * 1000);
	if (a[TCA_FQ_CODEL_INTERVAL])
		set_ns(L, "interval", (int64_t)vn_rta_u32(a[TCA_FQ_CODEL_INTERVAL]) * 1000);
	if (a[TCA_FQ_CODEL_QUANTUM]) set_int(L, "quantum", vn_rta_u32(a[TCA_FQ_CODEL_QUANTUM]));
	if (a[TCA_FQ_CODEL_ECN]) {
		lua_pushboolean(L, vn_rta_u32(a[TCA_FQ_CODEL_ECN]) != 0);
		lua_setfield(L, -2, "ecn");
	}
	if (a[TCA_FQ_CODEL_CE_THRESHOLD])
		set_ns(L, "ce_threshold", (int64_t)vn_rta_u32(a[TCA_FQ_CODEL_CE_THRESHOLD]) * 1000);
	if (a[TCA_FQ_CODEL_MEMORY_LIMIT])
		set_int(L, "memory_limit", vn_rta_u32(a[TCA_FQ_CODEL_MEMORY_LIMIT]));
	if (a[TCA_FQ_CODEL_DROP_BATCH_SIZE])
		set_int(L, "drop_batch", vn_rta_u32(a[TCA_FQ_CODEL_DROP_BATCH_SIZE]));
}

/* ---- pfifo / bfifo --------------------------------------------------------------------------- */
static const char *const fifo_keys[] = { "limit", NULL };

static void fifo_parse(lua_State *L, int idx, tc_buf *b, int bytes)
{
	struct tc_fifo_qopt q;
	uint64_t v;
	if (bytes ? tc_opt_size(L, idx, b->fn, "limit", 0xffffffffu, &v)
		  : (v = u32_opt(L, idx, b->fn, "limit", 0, &bytes), bytes)) {
		q.limit = (uint32_t)v;
		tc_put(L, b, TCA_OPTIONS, &q, sizeof q);
	}
}
static void pfifo_parse(lua_State *L, int idx, tc_buf *b)
{
	fifo_parse(L, idx, b, 0);
}
static void bfifo_parse(lua_State *L, int idx, tc_buf *b)
{
	fifo_parse(L, idx, b, 1);
}
static void fifo_push(lua_State *L, const struct rtattr *opts)
{
	const struct tc_fifo_qopt *q = (const struct tc_fifo_qopt *)opts_struct(opts, sizeof *q);
	if (q)
		set_int(L, "limit", q->limit);
}

/***
 * The qdisc kinds' options.
 * @module vnet.tc
 */

/*** The options of each qdisc kind (and of its classes), as tc spells
 * them; each reads back in base units (bits per second, bytes, seconds,
 * percent).
 * @table qdisc_options
 * @field netem `delay`, `jitter`, `correlation`, `distribution`
 *   (`"normal"`, `"pareto"`... tc's `.dist` tables, or a list of
 *   numbers), `loss` (a percent, or
 *   `{ model = "gemodel", p =, r =, ["1-h"] =, ["1-k"] = }`),
 *   `loss_correlation`, `duplicate`, `duplicate_correlation`, `reorder`,
 *   `reorder_correlation`, `gap`, `corrupt`, `corrupt_correlation`, `rate`
 *   (with `packet_overhead`, `cell_size`, `cell_overhead`), `limit`
 *   (packets, 1000 unless given), `slot` (a time, or `{ min =, max =,
 *   packets =, bytes = }`), `ecn`
 * @field tbf `rate`, `burst`, and `limit` (bytes) or `latency`; `peakrate`
 *   with `mtu`
 * @field htb `default` (the class id's minor), `r2q`, `direct_qlen`; its
 *   classes: `rate`, `ceil`, `burst`, `cburst`, `prio`, `quantum`
 * @field prio `bands` (2 to 16), `priomap` (16 bands)
 * @field sfq `quantum`, `perturb`, `limit`, `divisor`, `flows`, `depth`,
 *   `headdrop`
 * @field fq_codel `limit`, `flows`, `target`, `interval`, `quantum`, `ecn`,
 *   `ce_threshold`, `memory_limit`, `drop_batch`
 * @field pfifo `limit` (packets)
 * @field bfifo `limit` (bytes)
 * @field ingress no options (its handle is `ffff:`)
 * @field clsact no options (its handle is `ffff:`)
 */
/* ---- the table ---------------------------------------------------------------------------------- */
static const char *const no_keys[] = { NULL };

static const tc_kind k_netem = { "netem", netem_keys, netem_parse, netem_push, NULL, NULL, NULL, NULL };
static const tc_kind k_tbf = { "tbf", tbf_keys, tbf_parse, tbf_push, NULL, NULL, NULL, NULL };
static const tc_kind k_htb = { "htb", htb_keys, htb_parse, htb_push, htb_class_keys,
			       htb_class_parse, htb_class_push, NULL };
static const tc_kind k_prio = { "prio", prio_keys, prio_parse, prio_push, NULL, NULL, NULL, NULL };
static const tc_kind k_sfq = { "sfq", sfq_keys, sfq_parse, sfq_push, NULL, NULL, NULL, NULL };
static const tc_kind k_fq_codel = { "fq_codel", fq_codel_keys, fq_codel_parse, fq_codel_push,
				    NULL, NULL, NULL, NULL };
static const tc_kind k_pfifo = { "pfifo", fifo_keys, pfifo_parse, fifo_push, NULL, NULL, NULL, NULL };
static const tc_kind k_bfifo = { "bfifo", fifo_keys, bfifo_parse, fifo_push, NULL, NULL, NULL, NULL };
static const tc_kind k_ingress = { "ingress", no_keys, NULL, NULL, NULL, NULL, NULL, NULL };
static const tc_kind k_clsact = { "clsact", no_keys, NULL, NULL, NULL, NULL, NULL, NULL };

const tc_kind *const tc_kinds[] = { &k_netem, &k_tbf, &k_htb, &k_prio, &k_sfq, &k_fq_codel,
	&k_pfifo, &k_bfifo, &k_ingress, &k_clsact, NULL };
