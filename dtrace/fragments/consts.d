/* Flag values of xnu bsd/sys/mman.h and osfmk/mach/vm_prot.h (docs/platforms/macos.md §2). */
inline int LT_PROT_WRITE = 0x2;
inline int LT_PROT_EXEC = 0x4;
inline int LT_MAP_PRIVATE = 0x2;
inline int LT_MAP_FIXED = 0x10;
inline int LT_MAP_JIT = 0x800;
inline int LT_MAP_ANON = 0x1000;
inline int LT_VM_PROT_DEFAULT = 0x3;
inline int LT_VM_PROT_WRITE = 0x2;
inline int LT_VM_PROT_EXECUTE = 0x4;
/* mach_trap return probes put the kern_return_t in arg0, 0 = KERN_SUCCESS (docs/platforms/macos.md §2). */
inline int LT_KERN_SUCCESS = 0;
/*
 * The region ring (rwx-track) rounds a length up to a 4 KiB page. Apple silicon has 16 KiB
 * pages: there the rest of a last page stays untracked rather than claiming memory that may
 * belong to the next mapping.
 */
inline int LT_PAGE_MASK = 0xfff;
/*
 * Bit 30 of a remembered region's value ((flags << 8) | prot): a record about the region was
 * printed, so the parser knows it and its unmap matters. macOS MAP_* flags end at MAP_TPRO
 * 0x80000 (docs/platforms/macos.md §2), so flags << 8 stays below it.
 */
inline int LT_RGN_SHOWN = 0x40000000;
/* Follow mode stops each new process with SIGSTOP, which is 17 on macOS (xnu bsd/sys/signal.h). */
inline int LT_SIGSTOP = 17;
