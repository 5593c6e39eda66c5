/*
 * KVM x86 (TDP MMU) page fault vs. KVM_SET_MEMORY_ATTRIBUTES and the freeing
 * of pages, for one gfn with two SPTEs: the canonical gfn and its shared
 * alias.  See README.md.  Compile-time switches (spin -D...); each variant
 * changes one thing of the patched protocol:
 *   REORDER   the single attribute read moves before the mmu_invalidate_seq
 *             snapshot (expected to violate INV1)
 *   TWOREADS  patched ordering, plus a second, separate attribute read for
 *             the mismatch check (expected to violate INV2)
 *   NOSTALE   no staleness checks (expected to violate INV1 and INV3)
 *   ALIASZAP  a zap that should zap the shared alias zaps the canonical SPTE
 *             instead (expected to violate INV1 and INV3)
 *   REACH     non-vacuity probe: assert that no run ends with an installed
 *             SPTE (expected to fail, i.e. such a run exists)
 *   CHECK     the invariants asserted, a mask: 1 INV1, 2 INV2, 4 INV3
 *             (default 7: all)
 *   NV, NF, NFLIPS, NFREES  vCPUs, faults per vCPU, attribute flips, extra
 *             page frees at any time (defaults 2, 2, 2, 0)
 */
#ifndef NV
#define NV 2
#endif
#ifndef NF
#define NF 2
#endif
#ifndef NFLIPS
#define NFLIPS 2
#endif
#ifndef NFREES
#define NFREES 0
#endif
#ifndef CHECK
#define CHECK 7
#endif
#define ATTR0 0

#define CANON 0		/* SPTE of the canonical gfn                       */
#define ALIAS 1		/* SPTE of gfn | shared bit (only with a shared bit) */
#define F_SHARED  1	/* KVM_FILTER_SHARED                               */
#define F_PRIVATE 2	/* KVM_FILTER_PRIVATE                              */

bit  attr = ATTR0;   /* kvm->mem_attr_array[gfn] & PRIVATE (1 = private)   */
byte seq;            /* kvm->mmu_invalidate_seq                            */
byte in_progress;    /* kvm->mmu_invalidate_in_progress; the recorded range */
                     /* always contains the single gfn                     */
byte readers;        /* kvm->mmu_lock, an rwlock: readers are faults        */
bit  present[2];     /* SPTE [CANON] / [ALIAS] is present ...              */
bit  spte_priv[2];   /* ... maps a guest_memfd pfn (1) or a shared one (0)  */
byte spte_page[2];   /* ... and which page of that backing                 */
byte page[2];        /* current page of the shared backing [0] and of       */
                     /* guest_memfd [1]; every earlier one has been freed   */
bit  shared_bit;     /* VM has a shared GPA bit (chosen once by init)       */
byte flips, frees, installs, exits, done;

/* INV1: an installed SPTE agrees with the attributes. */
#define INV1 ((!present[0] || spte_priv[0] == attr) && \
	      (!present[1] || spte_priv[1] == attr))
/* INV3: no SPTE maps a freed page. */
#define INV3 ((!present[0] || spte_page[0] == page[spte_priv[0]]) && \
	      (!present[1] || spte_page[1] == page[spte_priv[1]]))

#if CHECK & 1
#define ASSERT_INV1 assert(INV1)
#else
#define ASSERT_INV1 skip
#endif
#if CHECK & 4
#define ASSERT_INV3 assert(INV3)
#else
#define ASSERT_INV3 skip
#endif

/*
 * mmu_lock.  A writer's critical section is one atomic step, taken when no
 * reader holds the lock (see README.md, "Abstractions"), so a reader only
 * has to count itself.
 */
inline read_lock()   { readers++ }
inline read_unlock() { atomic { ASSERT_INV1; ASSERT_INV3; readers-- } }

inline zap_spte(i) { present[i] = 0; spte_priv[i] = 0; spte_page[i] = 0 }

/*
 * kvm_unmap_gfn_range() -> kvm_tdp_mmu_unmap_gfn_range(): zap the leaf SPTEs
 * of the aliases that the filter selects (for_each_tdp_mmu_root_alias()).
 * Without a shared bit one alias maps both kinds of memory.
 */
inline zap(filter)
{
	if
	:: !shared_bit -> zap_spte(CANON)
	:: else ->
		if
		:: (filter) & F_PRIVATE -> zap_spte(CANON)
		:: else
		fi;
		if
		:: (filter) & F_SHARED ->
#ifdef ALIASZAP
			zap_spte(CANON)	/* bug: walks the canonical gfn only */
#else
			zap_spte(ALIAS)
#endif
		:: else
		fi
	fi
}

/* write_lock; kvm_mmu_invalidate_start(); range_add(gfn); zap; write_unlock */
inline invalidate_start(filter)
{
	atomic {
		readers == 0 ->
		in_progress++;
		zap(filter);
		ASSERT_INV1; ASSERT_INV3
	}
}

/* write_lock; kvm_mmu_invalidate_end(): seq++, smp_wmb(), in_progress--;
 * write_unlock */
inline invalidate_end()
{
	atomic {
		readers == 0 ->
		seq++;
		in_progress--;
		ASSERT_INV1; ASSERT_INV3
	}
}

/* The access type: the GPA alias with a shared bit, else the attributes. */
#define DECIDE() is_private = (shared_bit -> acc : attr)

/*
 * fault->is_private != kvm_mem_is_private(gfn) -> KVM_EXIT_MEMORY_FAULT.
 * INV2, asserted in the same step as the read that triggers the exit: the
 * access type really disagrees with the attributes.
 */
#if CHECK & 2
#define ASSERT_INV2 assert(shared_bit && acc != attr)
#else
#define ASSERT_INV2 skip
#endif
#define MISMATCH_EXIT() \
	if \
	:: is_private != attr -> ASSERT_INV2; exits++; goto next \
	:: else \
	fi

proctype vcpu()
{
	byte n, mmu_seq, pfn_page;
	bit acc, is_private;

	do
	:: n < NF ->
		if
		:: shared_bit -> if :: acc = 0 :: acc = 1 fi
		:: else -> acc = 0	/* unused */
		fi;
retry:		/* RET_PF_RETRY re-enters the guest, which faults again */
#ifdef REORDER
		/* the single read, before the snapshot */
		atomic { DECIDE(); MISMATCH_EXIT() };
#endif
		mmu_seq = seq;	/* kvm_mmu_faultin_pfn(); smp_rmb() */
#if !defined(REORDER) && !defined(TWOREADS)
		/* patched: one read, after the snapshot, decides and compares */
		atomic { DECIDE(); MISMATCH_EXIT() };
#endif
#ifdef TWOREADS
		DECIDE();			/* first read: decides */
		atomic { MISMATCH_EXIT() };	/* second read: compares */
#endif
#ifndef NOSTALE
		/* mmu_invalidate_retry_gfn_unsafe(), lockless */
		if
		:: in_progress != 0 || seq != mmu_seq -> goto retry
		:: else
		fi;
#endif
		/* __kvm_mmu_faultin_pfn(): the current page of guest_memfd if
		 * is_private, else of the shared backing */
		pfn_page = page[is_private];
		read_lock();
#ifndef NOSTALE
		/* is_page_fault_stale() -> mmu_invalidate_retry_gfn() */
		if
		:: in_progress != 0 || seq != mmu_seq ->
			read_unlock();
			pfn_page = 0;
			goto retry
		:: else
		fi;
#endif
		/* kvm_tdp_mmu_map(): atomic SPTE install under the read lock,
		 * private at the canonical gfn, shared at the alias */
		atomic {
			if
			:: shared_bit && !is_private ->
				present[ALIAS] = 1; spte_priv[ALIAS] = 0;
				spte_page[ALIAS] = pfn_page
			:: else ->
				present[CANON] = 1; spte_priv[CANON] = is_private;
				spte_page[CANON] = pfn_page
			fi;
			installs++;
			pfn_page = 0
		}
		read_unlock();
next:
		atomic { n++; mmu_seq = 0; acc = 0; is_private = 0 }
	:: else -> break
	od;
	done++
}

/*
 * A page of kind k is freed: the shared one (k = 0: an mmu_notifier
 * invalidation, KVM_FILTER_SHARED; e.g. MADV_DONTNEED, PUNCH_HOLE on the
 * shared backing, reclaim, migration) or the guest_memfd one (k = 1:
 * fallocate(PUNCH_HOLE), KVM_FILTER_PRIVATE).  The next fault of that kind
 * gets a new page.
 */
inline free_page(k)
{
	invalidate_start(((k) -> F_PRIVATE : F_SHARED));
	page[k]++;
	invalidate_end()
}

/* Userspace converting the gfn with KVM_SET_MEMORY_ATTRIBUTES. */
proctype set_attributes()
{
	do
	:: flips < NFLIPS ->
		/* kvm_handle_gfn_range(&pre_set_range);
		 * kvm_arch_pre_set_memory_attributes() unmaps the old kind */
		invalidate_start((attr -> F_PRIVATE : F_SHARED));
		attr = 1 - attr;	/* xa_store(), outside mmu_lock */
		invalidate_end();	/* kvm_handle_gfn_range(&post_set_range) */
		/* then it discards the page of the old kind, as QEMU does */
		free_page(1 - attr);
		flips++
	:: else -> break
	od;
	done++
}

/* -DNFREES=n: frees of either kind at any time. */
proctype reclaim()
{
	bit k;

	do
	:: frees < NFREES ->
		if :: k = 0 :: k = 1 fi;
		free_page(k);
		k = 0;
		frees++
	:: else -> break
	od;
	done++
}

/* INV1 and INV3 in every reachable state, not only at lock release. */
active proctype monitor()
{
end:	atomic {
		if
#if CHECK & 1
		:: !INV1 -> assert(INV1)
#endif
#if CHECK & 4
		:: !INV3 -> assert(INV3)
#endif
		:: false
		fi
	}
}

init
{
	byte i;

	if :: shared_bit = 0 :: shared_bit = 1 fi;
	atomic {
		run set_attributes();
		if :: NFREES > 0 -> run reclaim() :: else -> done++ fi;
		for (i : 1 .. NV) { run vcpu() }
	}
	done == NV + 2;
	ASSERT_INV1;
	ASSERT_INV3;
	assert(readers == 0 && in_progress == 0);
	assert(installs + exits == NV * NF);
#if CHECK & 2
	/* INV2 at the end: without a shared bit every fault installs */
	assert(shared_bit || installs == NV * NF);
#endif
#ifdef REACH
	/* the last flip's pre_set left no SPTE (the zap, and INV1 for the
	 * other alias), so this fails iff a fault can install after an
	 * invalidation, through the staleness check */
	assert(!present[0] && !present[1]);
#endif
}
