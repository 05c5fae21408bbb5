#include "util.h"
void vn_open_addr(lua_State *L) { (void)L; }
void vn_open_neigh(lua_State *L) { (void)L; }
