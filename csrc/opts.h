/*
 * opts.h - strict option tables (opts.c): unknown keys, integers,
 * booleans, strings, enumerations; every reader raises naming the function
 * and the field.
 *
 * Everything declared here has hidden visibility (-fvisibility=hidden).
 */
#ifndef VNET_OPTS_H
#define VNET_OPTS_H

#include <stdint.h>
#include "compat.h"

/* Raises "<fn>: unknown option 'k'" for a key not in keys (NULL-ended);
 * also raises when idx is not a table. Returns which keys are present
 * (bit i for keys[i], i < 32), so that absent options need no lookup;
 * every bit for a table with a metatable (its __index may give more). */
unsigned vn_opts_check(lua_State *L, int idx, const char *fn, const char *const keys[]);
#define VN_HAS(has, i) (((has) >> (i)) & 1u)
/* Each getter pushes nothing and returns 1 when the option is set (not nil),
 * 0 when absent; a value of the wrong type raises naming the option. The
 * options table may be a proxy: every option is looked up once per read,
 * its __index may run Lua (and the collector), so nothing read is kept as a
 * pointer into a Lua value that is no longer on the stack. */
/* An integer in [min, max]: a number with an integral value (1.0 is one;
 * 1.5, NaN, inf and 2^63 are not); no strings. This and vn_check_int are
 * THE integer readers: never lua_tointeger or an (int) cast of a user value. */
int vn_opt_int(lua_State *L, int idx, const char *fn, const char *key,
	       lua_Integer min, lua_Integer max, lua_Integer *out);
/* The same for the value at stack index sidx: returns it, or raises
 * "<fn>: <what> must be an integer between min and max, got ...". */
lua_Integer vn_check_int(lua_State *L, int sidx, const char *fn, const char *what,
			 lua_Integer min, lua_Integer max);
/* Parses the whole of s as an integer in [min, max] (decimal, or 0x hex;
 * an optional '-'; no spaces, signs '+', exponents): 1 with *out set, or 0. */
int vn_parse_int(const char *s, lua_Integer min, lua_Integer max, lua_Integer *out);
int vn_opt_bool(lua_State *L, int idx, const char *fn, const char *key, int *out);
/* A string option copied into buf (size bytes, with room for the final
 * NUL): returns buf, or NULL when absent. Raises naming the option when it
 * is not a string, holds a NUL byte or has size bytes or more. The copy is
 * what keeps it valid: the Lua string may be collected at once. */
const char *vn_opt_str(lua_State *L, int idx, const char *fn, const char *key,
		       char *buf, size_t size);
/* The string at stack index sidx, checked the same way (maxlen 0: any
 * length); the pointer is valid while that value stays on the stack. */
const char *vn_check_str(lua_State *L, int sidx, const char *fn, const char *what,
			 size_t maxlen);
/* Option k must be one of names (NULL-ended); *out gets its index. */
int vn_opt_enum(lua_State *L, int idx, const char *fn, const char *key,
		const char *const names[], int *out);

/* For the readers of other layers (ip.c, names.c): pushes option key of the
 * table at idx and returns 1, or pushes nothing and returns 0 when it is
 * nil; "option 'key'" (what NULL) or what, for messages; the integer and
 * string at stack index sidx checked as vn_check_int and vn_check_str do
 * (*len set when not NULL). */
int vn_opt_get(lua_State *L, int idx, const char *key);
/* Whether the number at sidx has an integral value (not NaN, inf, or out of
 * lua_Integer's range): 1 with *out set, else 0. */
int vn_num_integer(lua_State *L, int sidx, lua_Integer *out);
const char *vn_what_of(lua_State *L, const char *what, const char *key);
lua_Integer vn_int_at(lua_State *L, int sidx, const char *fn, const char *what,
		      const char *key, lua_Integer min, lua_Integer max);
const char *vn_str_at(lua_State *L, int sidx, const char *fn, const char *what,
		      const char *key, size_t maxlen, size_t *len);

#endif
