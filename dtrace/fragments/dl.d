/* D rejects a variable read before any clause assigns it, in source order: declare it first. */
self int lt_dl;

/*
 * Nested calls (an initializer that calls dlopen) would overwrite the saved arguments
 * of the outer call: count them so the loss shows in the trailer.
 */
pid$target::dlopen:entry,
pid$target::dlopen_preflight:entry,
pid$target::dlsym:entry,
pid$target::dlclose:entry,
pid$target::NSCreateObjectFileImageFromMemory:entry,
pid$target::NSLinkModule:entry
/self->lt_dl/
{
	lt_dl_nested++;
}

/*
 * dlopen(path, mode): keep the pointer, read the string at return when its page is
 * surely mapped (docs/platforms/macos.md §5). Module wildcard as public scripts use
 * it; dlopen is exported by libdyld.dylib (docs/platforms/macos.md §1).
 */
pid$target::dlopen:entry
{
	self->lt_dl = 1;
	self->lt_dl_path = arg0;
	self->lt_dl_mode = (int)arg1;
}

/*
 * dlopen returned: arg1 of a pid-provider return probe is the return value (docs/platforms/macos.md §2 states
 * the same convention for syscall returns). A string was cut when it reaches strsize - 1 bytes, i.e. it has a
 * byte at offset strsize - 2: tested with substr, not strlen, because with Oracle's DTrace for Linux 2.0
 * strlen() of a 48-byte path in this clause emptied lt_follow[pid], so the rest of the process (its exit
 * included) went unseen; substr gives the same answer without that (both seen live).
 */
pid$target::dlopen:return
/self->lt_dl && self->lt_dl_path/
{
	this->path = copyinstr(self->lt_dl_path);
	printf("LT1:%s\tdlopen\t%lld\t%d\t%d\t%d\t%d\t%S\t%S\t%d\t%d\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    this->path, substr(this->path, LT_STRSIZE - 2) != "" ? 1 : 0, self->lt_dl_mode, arg1);
	self->lt_pr = 1;
}

/* dlopen(NULL) returns RTLD_DEFAULT or RTLD_MAIN_ONLY (docs/platforms/macos.md §1): an empty path field. */
pid$target::dlopen:return
/self->lt_dl && !self->lt_dl_path/
{
	printf("LT1:%s\tdlopen\t%lld\t%d\t%d\t%d\t%d\t%S\t\t%d\t%d\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    0, self->lt_dl_mode, arg1);
	self->lt_pr = 1;
}

/* dlopen_preflight(path) checks whether an image could be loaded (docs/platforms/macos.md §1). */
pid$target::dlopen_preflight:entry
{
	self->lt_dl = 2;
	self->lt_dl_path = arg0;
}

/* dlopen_preflight returned: print only a readable path, a NULL path loads nothing. */
pid$target::dlopen_preflight:return
/self->lt_dl == 2 && self->lt_dl_path/
{
	this->path = copyinstr(self->lt_dl_path);
	printf("LT1:%s\tdlopen_preflight\t%lld\t%d\t%d\t%d\t%d\t%S\t%S\t%d\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    this->path, substr(this->path, LT_STRSIZE - 2) != "" ? 1 : 0, (int)arg1);
	self->lt_pr = 1;
}

/*
 * dlsym(handle, symbol): the handle may be RTLD_NEXT (-1), RTLD_DEFAULT (-2), RTLD_SELF (-3)
 * or RTLD_MAIN_ONLY (-5), printed as 64-bit hex (docs/platforms/macos.md §1).
 */
pid$target::dlsym:entry
{
	self->lt_dl = 3;
	self->lt_dl_handle = arg0;
	self->lt_dl_sym = arg1;
}

/* dlsym returned the resolved address in arg1; the symbol is read now (docs/platforms/macos.md §5). */
pid$target::dlsym:return
/self->lt_dl == 3 && self->lt_dl_sym/
{
	this->sym = copyinstr(self->lt_dl_sym);
	printf("LT1:%s\tdlsym\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%S\t%d\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_dl_handle, this->sym, substr(this->sym, LT_STRSIZE - 2) != "" ? 1 : 0, arg1);
	self->lt_pr = 1;
}

/* dlsym(handle, NULL) has no symbol to print: count it. */
pid$target::dlsym:return
/self->lt_dl == 3 && !self->lt_dl_sym/
{
	lt_dlsym_null++;
}

/* dlclose(handle) ends the life of a handle dlopen returned. */
pid$target::dlclose:entry
{
	self->lt_dl = 4;
	self->lt_dl_handle = arg0;
}

/* dlclose returned 0 on success. */
pid$target::dlclose:return
/self->lt_dl == 4/
{
	printf("LT1:%s\tdlclose\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_dl_handle, (int)arg1);
	self->lt_pr = 1;
}

/*
 * NSCreateObjectFileImageFromMemory(address, size, &image) copies an in-memory Mach-O
 * bundle; it is still exported by libdyld on macOS (docs/platforms/macos.md §1).
 */
pid$target::NSCreateObjectFileImageFromMemory:entry
{
	self->lt_dl = 5;
	self->lt_dl_addr = arg0;
	self->lt_dl_size = arg1;
}

/* The in-memory image was accepted or refused: arg1 is the NSObjectFileImageReturnCode. */
pid$target::NSCreateObjectFileImageFromMemory:return
/self->lt_dl == 5/
{
	printf("LT1:%s\tmemload\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    "NSCreateObjectFileImageFromMemory", self->lt_dl_addr, self->lt_dl_size, arg1);
	self->lt_pr = 1;
}

/*
 * NSLinkModule(image, moduleName, options) links the image through a temporary file,
 * so dlopen does not fire for it (docs/platforms/macos.md §1).
 */
pid$target::NSLinkModule:entry
{
	self->lt_dl = 6;
	self->lt_dl_addr = arg0;
	self->lt_dl_name = arg1;
}

/* NSLinkModule returned the NSModule in arg1; a module name is optional. */
pid$target::NSLinkModule:return
/self->lt_dl == 6 && self->lt_dl_name/
{
	printf("LT1:%s\tmemload\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t%S\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    "NSLinkModule", self->lt_dl_addr, (uint64_t)0, copyinstr(self->lt_dl_name), arg1);
	self->lt_pr = 1;
}

/* NSLinkModule without a module name: an empty name field. */
pid$target::NSLinkModule:return
/self->lt_dl == 6 && !self->lt_dl_name/
{
	printf("LT1:%s\tmemload\t%lld\t%d\t%d\t%d\t%d\t%S\t%s\t%llx\t%llx\t\t%llx\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    "NSLinkModule", self->lt_dl_addr, (uint64_t)0, arg1);
	self->lt_pr = 1;
}

/* User stack of the call that was just printed (the parser attaches the indented frames to it). */
pid$target::dlopen:return,
pid$target::dlopen_preflight:return,
pid$target::dlsym:return,
pid$target::dlclose:return,
pid$target::NSCreateObjectFileImageFromMemory:return,
pid$target::NSLinkModule:return
/LT_USTACK && self->lt_pr/
{
	ustack();
}

/* The first bytes of the in-memory image, so a Mach-O magic can be recognised. */
pid$target::NSCreateObjectFileImageFromMemory:return
/self->lt_dl == 5 && self->lt_dl_addr && self->lt_dl_size >= 16/
{
	this->b = (uint8_t *)copyin(self->lt_dl_addr, 16);
	printf("LT1:%s\tbytes\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname, self->lt_dl_addr,
	    this->b[0], this->b[1], this->b[2], this->b[3], this->b[4], this->b[5], this->b[6], this->b[7],
	    this->b[8], this->b[9], this->b[10], this->b[11], this->b[12], this->b[13], this->b[14], this->b[15]);
}

/* Clear the saved arguments so the next call starts clean. */
pid$target::dlopen:return,
pid$target::dlopen_preflight:return,
pid$target::dlsym:return,
pid$target::dlclose:return,
pid$target::NSCreateObjectFileImageFromMemory:return,
pid$target::NSLinkModule:return
/self->lt_dl/
{
	self->lt_dl = 0;
	self->lt_dl_path = 0;
	self->lt_dl_mode = 0;
	self->lt_dl_handle = 0;
	self->lt_dl_sym = 0;
	self->lt_dl_addr = 0;
	self->lt_dl_size = 0;
	self->lt_dl_name = 0;
	self->lt_pr = 0;
}
