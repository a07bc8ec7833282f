/*
 * Find the newest slot of the region ring (rwx-track describes the ring) that holds the address
 * this->a, before a call changes it: its value this->bv, slot this->bk, start this->bs and end
 * this->be, or zeros and slot -1 when no slot holds it. Newest is the highest seq (lt_rq): an
 * older slot under a newer one describes what was there before.
 *
 * D has no functions: these statements are a template, written once here and written out by the
 * generator in place of each line ${ring-find} of a clause body in a D fragment (rwx-args for
 * mprotect and the Mach protect trap, mremap, remap), which sets this->a first and copies what it
 * needs of the result into thread-local variables for its return probe.
 */

${ring-find}
{
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
}
