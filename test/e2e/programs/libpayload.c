/* A harmless shared library that the loader program dlopens from a hostile-looking path. */
int payload_answer(void) { return 42; }
