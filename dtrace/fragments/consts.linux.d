/*
 * Linux flag values (include/uapi/asm-generic/mman-common.h, mman.h; docs/platforms/linux.md),
 * under the same names as the macOS set in consts.d, so the other fragments serve both.
 * Linux has no MAP_JIT: 0 makes every test of it false. The VM_* and KERN_* values only
 * feed mach_trap clauses, which match no probe on Linux.
 */
inline int LT_PROT_WRITE = 0x2;
inline int LT_PROT_EXEC = 0x4;
inline int LT_MAP_PRIVATE = 0x2;
inline int LT_MAP_FIXED = 0x10;
inline int LT_MAP_JIT = 0;
inline int LT_MAP_ANON = 0x20;
inline int LT_VM_PROT_DEFAULT = 0x3;
inline int LT_VM_PROT_WRITE = 0x2;
inline int LT_VM_PROT_EXECUTE = 0x4;
inline int LT_KERN_SUCCESS = 0;
/* Pages are 4 KiB on the Linux targets: the region ring rounds a length up to this. */
inline int LT_PAGE_MASK = 0xfff;
/* mremap(2) flag that keeps the old range mapped (include/uapi/linux/mman.h). */
inline int LT_MREMAP_DONTUNMAP = 0x4;
/* Linux MAP_* flags end below 0x8000000 (MAP_UNINITIALIZED 0x4000000), so flags << 8 stays below bit 30. */
inline int LT_RGN_SHOWN = 0x40000000;
/* Follow mode stops each new process with SIGSTOP, which is 19 on Linux x86-64 and arm64. */
inline int LT_SIGSTOP = 19;
