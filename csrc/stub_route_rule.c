#include "util.h"
void vn_open_route(lua_State *L) { (void)L; }
void vn_open_rule(lua_State *L) { (void)L; }
