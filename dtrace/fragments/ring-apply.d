/*
 * Apply one change to the region ring (rwx-track describes the ring): drop the slots the range
 * covers entirely (a mapping dropped so is counted in lt_forgotten), then add the change's slot,
 * or its hole where the range cuts a slot it does not cover, in a free slot, else in the oldest
 * one (a live mapping pushed out so is counted in lt_evicted, regions_evicted), or rewrite slot
 * this->skip in place when the change covers exactly that slot.
 *
 * D has no functions: these statements are a template, written once here and written out by the
 * generator in place of each line ${ring-apply} of a clause body in a D fragment (rwx-track and
 * remap: one clause per probe list, after the clauses that describe their calls' changes; mremap:
 * twice in one clause, for the two changes of one call). The declarations below go once into a
 * script, before the first fragment that asks for the template. The clause sets the change
 * first, in every firing, since clause-local variables outlive a firing:
 *   this->s, this->e  the range [s, e), page-aligned (LT_PAGE_MASK);
 *   this->v           the new slot's value ((flags << 8) | prot, plus LT_RGN_SHOWN), 0 for a hole;
 *   this->skip        a slot the change must keep (the one a protection change lies in), -1 for none;
 *   this->always      1 to add a slot, 0 to add a hole only where the range cuts a slot;
 *   this->whole       1 to rewrite slot this->skip in place.
 * The counters are declared because these statements read them first.
 */
int lt_forgotten;
int lt_evicted;
this uint64_t s;
this uint64_t e;
this int64_t v;
this int skip;
this int always;
this int whole;

${ring-apply}
{
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
