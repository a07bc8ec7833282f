/*
 * mremap(old_address, old_size, new_size, flags, new_address) (mremap(2), Linux only: macOS
 * has no such call), with the remembered range holding old_address, as for mprotect (rwx-args),
 * so the region moves with its history.
 */
syscall::mremap:entry
/(LT_ALL || lt_follow[pid] || execname == LT_NAME) && LT_NOT_SELF && (LT_UID < 0 || uid == LT_UID)/
{
	self->lt_mr = 1;
	self->lt_mr_addr = arg0;
	self->lt_mr_oldlen = arg1;
	self->lt_mr_newlen = arg2;
	self->lt_mr_flags = (int)arg3;
	self->lt_mr_newaddr = arg4;
	this->a = (uint64_t)arg0;
	this->bq = (uint64_t)0;
	this->bv = (int64_t)0;
	this->bk = -1;
	this->bs = (uint64_t)0;
	this->be = (uint64_t)0;
	this->h = lt_rq[pid, 0] > this->bq && this->a >= lt_rs[pid, 0] && this->a < lt_re[pid, 0];
	this->bv = this->h ? lt_rv[pid, 0] : this->bv;
	this->bk = this->h ? 0 : this->bk;
	this->bs = this->h ? lt_rs[pid, 0] : this->bs;
	this->be = this->h ? lt_re[pid, 0] : this->be;
	this->bq = this->h ? lt_rq[pid, 0] : this->bq;
	this->h = lt_rq[pid, 1] > this->bq && this->a >= lt_rs[pid, 1] && this->a < lt_re[pid, 1];
	this->bv = this->h ? lt_rv[pid, 1] : this->bv;
	this->bk = this->h ? 1 : this->bk;
	this->bs = this->h ? lt_rs[pid, 1] : this->bs;
	this->be = this->h ? lt_re[pid, 1] : this->be;
	this->bq = this->h ? lt_rq[pid, 1] : this->bq;
	this->h = lt_rq[pid, 2] > this->bq && this->a >= lt_rs[pid, 2] && this->a < lt_re[pid, 2];
	this->bv = this->h ? lt_rv[pid, 2] : this->bv;
	this->bk = this->h ? 2 : this->bk;
	this->bs = this->h ? lt_rs[pid, 2] : this->bs;
	this->be = this->h ? lt_re[pid, 2] : this->be;
	this->bq = this->h ? lt_rq[pid, 2] : this->bq;
	this->h = lt_rq[pid, 3] > this->bq && this->a >= lt_rs[pid, 3] && this->a < lt_re[pid, 3];
	this->bv = this->h ? lt_rv[pid, 3] : this->bv;
	this->bk = this->h ? 3 : this->bk;
	this->bs = this->h ? lt_rs[pid, 3] : this->bs;
	this->be = this->h ? lt_re[pid, 3] : this->be;
	this->bq = this->h ? lt_rq[pid, 3] : this->bq;
	this->h = lt_rq[pid, 4] > this->bq && this->a >= lt_rs[pid, 4] && this->a < lt_re[pid, 4];
	this->bv = this->h ? lt_rv[pid, 4] : this->bv;
	this->bk = this->h ? 4 : this->bk;
	this->bs = this->h ? lt_rs[pid, 4] : this->bs;
	this->be = this->h ? lt_re[pid, 4] : this->be;
	this->bq = this->h ? lt_rq[pid, 4] : this->bq;
	this->h = lt_rq[pid, 5] > this->bq && this->a >= lt_rs[pid, 5] && this->a < lt_re[pid, 5];
	this->bv = this->h ? lt_rv[pid, 5] : this->bv;
	this->bk = this->h ? 5 : this->bk;
	this->bs = this->h ? lt_rs[pid, 5] : this->bs;
	this->be = this->h ? lt_re[pid, 5] : this->be;
	this->bq = this->h ? lt_rq[pid, 5] : this->bq;
	this->h = lt_rq[pid, 6] > this->bq && this->a >= lt_rs[pid, 6] && this->a < lt_re[pid, 6];
	this->bv = this->h ? lt_rv[pid, 6] : this->bv;
	this->bk = this->h ? 6 : this->bk;
	this->bs = this->h ? lt_rs[pid, 6] : this->bs;
	this->be = this->h ? lt_re[pid, 6] : this->be;
	this->bq = this->h ? lt_rq[pid, 6] : this->bq;
	this->h = lt_rq[pid, 7] > this->bq && this->a >= lt_rs[pid, 7] && this->a < lt_re[pid, 7];
	this->bv = this->h ? lt_rv[pid, 7] : this->bv;
	this->bk = this->h ? 7 : this->bk;
	this->bs = this->h ? lt_rs[pid, 7] : this->bs;
	this->be = this->h ? lt_re[pid, 7] : this->be;
	this->bq = this->h ? lt_rq[pid, 7] : this->bq;
	self->lt_mr_prev = this->bv;
}

/*
 * mremap of a region already printed (or every mremap, unfiltered): where it went, so the
 * parser moves it with its history; a failure says MAP_FAILED with errno, as libc reports it.
 */
syscall::mremap:return
/self->lt_mr && (LT_UNFILTERED || (self->lt_mr_prev & LT_RGN_SHOWN))/
{
	printf("LT1:%s\tmremap\t%lld\t%d\t%d\t%d\t%d\t%S\t%llx\t%llx\t%llx\t%d\t%llx\t%llx\t%d\n", LT_NONCE,
	    walltimestamp, pid, ppid, tid, uid, execname,
	    self->lt_mr_addr, self->lt_mr_oldlen, self->lt_mr_newlen, self->lt_mr_flags, self->lt_mr_newaddr,
	    (int64_t)arg1 < 0 ? (uint64_t)-1 : arg1, (int64_t)arg1 < 0 ? errno : 0);
}

/*
 * mremap moved or resized a remembered range: the old range goes (unless MREMAP_DONTUNMAP kept
 * it: an empty range then changes nothing) and the new one takes a slot with the same value.
 * Two changes in one firing, so the ring's change (rwx-track) is written out twice here.
 */
syscall::mremap:return
/self->lt_mr && self->lt_mr_prev != 0 && (int64_t)arg1 >= 0/
{
	this->s = (uint64_t)self->lt_mr_addr;
	this->e = (self->lt_mr_flags & LT_MREMAP_DONTUNMAP) ? this->s :
	    this->s + (((uint64_t)self->lt_mr_oldlen + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = (int64_t)0;
	this->skip = -1;
	this->always = 0;
	this->whole = 0;
	this->free = -1;
	this->old = 0;
	this->oq = (uint64_t)0xffffffffffffffff;
	this->partial = 0;
	this->q = lt_rq[pid, 0];
	this->ov = this->q != 0 && this->skip != 0 && lt_rs[pid, 0] < this->e && lt_re[pid, 0] > this->s;
	this->cov = this->ov && lt_rs[pid, 0] >= this->s && lt_re[pid, 0] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 0] != 0 ? 1 : 0;
	lt_rs[pid, 0] = this->cov ? 0 : lt_rs[pid, 0];
	lt_re[pid, 0] = this->cov ? 0 : lt_re[pid, 0];
	lt_rv[pid, 0] = this->cov ? 0 : lt_rv[pid, 0];
	lt_rq[pid, 0] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 0 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 0 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 1];
	this->ov = this->q != 0 && this->skip != 1 && lt_rs[pid, 1] < this->e && lt_re[pid, 1] > this->s;
	this->cov = this->ov && lt_rs[pid, 1] >= this->s && lt_re[pid, 1] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 1] != 0 ? 1 : 0;
	lt_rs[pid, 1] = this->cov ? 0 : lt_rs[pid, 1];
	lt_re[pid, 1] = this->cov ? 0 : lt_re[pid, 1];
	lt_rv[pid, 1] = this->cov ? 0 : lt_rv[pid, 1];
	lt_rq[pid, 1] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 1 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 1 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 2];
	this->ov = this->q != 0 && this->skip != 2 && lt_rs[pid, 2] < this->e && lt_re[pid, 2] > this->s;
	this->cov = this->ov && lt_rs[pid, 2] >= this->s && lt_re[pid, 2] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 2] != 0 ? 1 : 0;
	lt_rs[pid, 2] = this->cov ? 0 : lt_rs[pid, 2];
	lt_re[pid, 2] = this->cov ? 0 : lt_re[pid, 2];
	lt_rv[pid, 2] = this->cov ? 0 : lt_rv[pid, 2];
	lt_rq[pid, 2] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 2 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 2 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 3];
	this->ov = this->q != 0 && this->skip != 3 && lt_rs[pid, 3] < this->e && lt_re[pid, 3] > this->s;
	this->cov = this->ov && lt_rs[pid, 3] >= this->s && lt_re[pid, 3] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 3] != 0 ? 1 : 0;
	lt_rs[pid, 3] = this->cov ? 0 : lt_rs[pid, 3];
	lt_re[pid, 3] = this->cov ? 0 : lt_re[pid, 3];
	lt_rv[pid, 3] = this->cov ? 0 : lt_rv[pid, 3];
	lt_rq[pid, 3] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 3 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 3 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 4];
	this->ov = this->q != 0 && this->skip != 4 && lt_rs[pid, 4] < this->e && lt_re[pid, 4] > this->s;
	this->cov = this->ov && lt_rs[pid, 4] >= this->s && lt_re[pid, 4] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 4] != 0 ? 1 : 0;
	lt_rs[pid, 4] = this->cov ? 0 : lt_rs[pid, 4];
	lt_re[pid, 4] = this->cov ? 0 : lt_re[pid, 4];
	lt_rv[pid, 4] = this->cov ? 0 : lt_rv[pid, 4];
	lt_rq[pid, 4] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 4 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 4 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 5];
	this->ov = this->q != 0 && this->skip != 5 && lt_rs[pid, 5] < this->e && lt_re[pid, 5] > this->s;
	this->cov = this->ov && lt_rs[pid, 5] >= this->s && lt_re[pid, 5] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 5] != 0 ? 1 : 0;
	lt_rs[pid, 5] = this->cov ? 0 : lt_rs[pid, 5];
	lt_re[pid, 5] = this->cov ? 0 : lt_re[pid, 5];
	lt_rv[pid, 5] = this->cov ? 0 : lt_rv[pid, 5];
	lt_rq[pid, 5] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 5 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 5 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 6];
	this->ov = this->q != 0 && this->skip != 6 && lt_rs[pid, 6] < this->e && lt_re[pid, 6] > this->s;
	this->cov = this->ov && lt_rs[pid, 6] >= this->s && lt_re[pid, 6] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 6] != 0 ? 1 : 0;
	lt_rs[pid, 6] = this->cov ? 0 : lt_rs[pid, 6];
	lt_re[pid, 6] = this->cov ? 0 : lt_re[pid, 6];
	lt_rv[pid, 6] = this->cov ? 0 : lt_rv[pid, 6];
	lt_rq[pid, 6] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 6 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 6 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 7];
	this->ov = this->q != 0 && this->skip != 7 && lt_rs[pid, 7] < this->e && lt_re[pid, 7] > this->s;
	this->cov = this->ov && lt_rs[pid, 7] >= this->s && lt_re[pid, 7] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 7] != 0 ? 1 : 0;
	lt_rs[pid, 7] = this->cov ? 0 : lt_rs[pid, 7];
	lt_re[pid, 7] = this->cov ? 0 : lt_re[pid, 7];
	lt_rv[pid, 7] = this->cov ? 0 : lt_rv[pid, 7];
	lt_rq[pid, 7] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 7 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 7 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->add = this->always || this->partial;
	this->slot = this->whole ? this->skip : this->free >= 0 ? this->free : this->old;
	lt_evicted += this->add && !this->whole && this->free < 0 && lt_rv[pid, this->slot] != 0 ? 1 : 0;
	lt_rn[pid] = this->add ? lt_rn[pid] + 1 : lt_rn[pid];
	lt_rs[pid, this->slot] = this->add ? this->s : lt_rs[pid, this->slot];
	lt_re[pid, this->slot] = this->add ? this->e : lt_re[pid, this->slot];
	lt_rv[pid, this->slot] = this->add ? this->v : lt_rv[pid, this->slot];
	lt_rq[pid, this->slot] = this->add ? lt_rn[pid] : lt_rq[pid, this->slot];
	this->s = (uint64_t)arg1;
	this->e = this->s + (((uint64_t)self->lt_mr_newlen + LT_PAGE_MASK) & ~LT_PAGE_MASK);
	this->v = self->lt_mr_prev;
	this->always = 1;
	this->free = -1;
	this->old = 0;
	this->oq = (uint64_t)0xffffffffffffffff;
	this->partial = 0;
	this->q = lt_rq[pid, 0];
	this->ov = this->q != 0 && this->skip != 0 && lt_rs[pid, 0] < this->e && lt_re[pid, 0] > this->s;
	this->cov = this->ov && lt_rs[pid, 0] >= this->s && lt_re[pid, 0] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 0] != 0 ? 1 : 0;
	lt_rs[pid, 0] = this->cov ? 0 : lt_rs[pid, 0];
	lt_re[pid, 0] = this->cov ? 0 : lt_re[pid, 0];
	lt_rv[pid, 0] = this->cov ? 0 : lt_rv[pid, 0];
	lt_rq[pid, 0] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 0 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 0 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 1];
	this->ov = this->q != 0 && this->skip != 1 && lt_rs[pid, 1] < this->e && lt_re[pid, 1] > this->s;
	this->cov = this->ov && lt_rs[pid, 1] >= this->s && lt_re[pid, 1] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 1] != 0 ? 1 : 0;
	lt_rs[pid, 1] = this->cov ? 0 : lt_rs[pid, 1];
	lt_re[pid, 1] = this->cov ? 0 : lt_re[pid, 1];
	lt_rv[pid, 1] = this->cov ? 0 : lt_rv[pid, 1];
	lt_rq[pid, 1] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 1 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 1 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 2];
	this->ov = this->q != 0 && this->skip != 2 && lt_rs[pid, 2] < this->e && lt_re[pid, 2] > this->s;
	this->cov = this->ov && lt_rs[pid, 2] >= this->s && lt_re[pid, 2] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 2] != 0 ? 1 : 0;
	lt_rs[pid, 2] = this->cov ? 0 : lt_rs[pid, 2];
	lt_re[pid, 2] = this->cov ? 0 : lt_re[pid, 2];
	lt_rv[pid, 2] = this->cov ? 0 : lt_rv[pid, 2];
	lt_rq[pid, 2] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 2 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 2 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 3];
	this->ov = this->q != 0 && this->skip != 3 && lt_rs[pid, 3] < this->e && lt_re[pid, 3] > this->s;
	this->cov = this->ov && lt_rs[pid, 3] >= this->s && lt_re[pid, 3] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 3] != 0 ? 1 : 0;
	lt_rs[pid, 3] = this->cov ? 0 : lt_rs[pid, 3];
	lt_re[pid, 3] = this->cov ? 0 : lt_re[pid, 3];
	lt_rv[pid, 3] = this->cov ? 0 : lt_rv[pid, 3];
	lt_rq[pid, 3] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 3 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 3 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 4];
	this->ov = this->q != 0 && this->skip != 4 && lt_rs[pid, 4] < this->e && lt_re[pid, 4] > this->s;
	this->cov = this->ov && lt_rs[pid, 4] >= this->s && lt_re[pid, 4] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 4] != 0 ? 1 : 0;
	lt_rs[pid, 4] = this->cov ? 0 : lt_rs[pid, 4];
	lt_re[pid, 4] = this->cov ? 0 : lt_re[pid, 4];
	lt_rv[pid, 4] = this->cov ? 0 : lt_rv[pid, 4];
	lt_rq[pid, 4] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 4 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 4 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 5];
	this->ov = this->q != 0 && this->skip != 5 && lt_rs[pid, 5] < this->e && lt_re[pid, 5] > this->s;
	this->cov = this->ov && lt_rs[pid, 5] >= this->s && lt_re[pid, 5] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 5] != 0 ? 1 : 0;
	lt_rs[pid, 5] = this->cov ? 0 : lt_rs[pid, 5];
	lt_re[pid, 5] = this->cov ? 0 : lt_re[pid, 5];
	lt_rv[pid, 5] = this->cov ? 0 : lt_rv[pid, 5];
	lt_rq[pid, 5] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 5 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 5 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 6];
	this->ov = this->q != 0 && this->skip != 6 && lt_rs[pid, 6] < this->e && lt_re[pid, 6] > this->s;
	this->cov = this->ov && lt_rs[pid, 6] >= this->s && lt_re[pid, 6] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 6] != 0 ? 1 : 0;
	lt_rs[pid, 6] = this->cov ? 0 : lt_rs[pid, 6];
	lt_re[pid, 6] = this->cov ? 0 : lt_re[pid, 6];
	lt_rv[pid, 6] = this->cov ? 0 : lt_rv[pid, 6];
	lt_rq[pid, 6] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 6 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 6 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->q = lt_rq[pid, 7];
	this->ov = this->q != 0 && this->skip != 7 && lt_rs[pid, 7] < this->e && lt_re[pid, 7] > this->s;
	this->cov = this->ov && lt_rs[pid, 7] >= this->s && lt_re[pid, 7] <= this->e;
	lt_forgotten += this->cov && lt_rv[pid, 7] != 0 ? 1 : 0;
	lt_rs[pid, 7] = this->cov ? 0 : lt_rs[pid, 7];
	lt_re[pid, 7] = this->cov ? 0 : lt_re[pid, 7];
	lt_rv[pid, 7] = this->cov ? 0 : lt_rv[pid, 7];
	lt_rq[pid, 7] = this->cov ? 0 : this->q;
	this->q = this->cov ? 0 : this->q;
	this->partial = this->partial || (this->ov && !this->cov);
	this->free = this->q == 0 && this->free < 0 ? 7 : this->free;
	this->old = this->q != 0 && this->q < this->oq ? 7 : this->old;
	this->oq = this->q != 0 && this->q < this->oq ? this->q : this->oq;
	this->add = this->always || this->partial;
	this->slot = this->whole ? this->skip : this->free >= 0 ? this->free : this->old;
	lt_evicted += this->add && !this->whole && this->free < 0 && lt_rv[pid, this->slot] != 0 ? 1 : 0;
	lt_rn[pid] = this->add ? lt_rn[pid] + 1 : lt_rn[pid];
	lt_rs[pid, this->slot] = this->add ? this->s : lt_rs[pid, this->slot];
	lt_re[pid, this->slot] = this->add ? this->e : lt_re[pid, this->slot];
	lt_rv[pid, this->slot] = this->add ? this->v : lt_rv[pid, this->slot];
	lt_rq[pid, this->slot] = this->add ? lt_rn[pid] : lt_rq[pid, this->slot];
}

/* Clear the saved mremap arguments. */
syscall::mremap:return
/self->lt_mr/
{
	self->lt_mr = 0;
	self->lt_mr_addr = 0;
	self->lt_mr_oldlen = 0;
	self->lt_mr_newlen = 0;
	self->lt_mr_flags = 0;
	self->lt_mr_newaddr = 0;
	self->lt_mr_prev = 0;
}
