/*
 * Attribute names as administrators write them in Require lines: short and
 * long names in any case and dotted OIDs of any shape.
 */
#include "fuzz/fuzz_common.h"

#include "src/certinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    certauthz_attr_t attr;

    if (certauthz_attr_lookup(p, fuzz_cstr(p, data, size), &attr) == 0) {
        /* A name that resolves always has a dotted OID. */
        if (attr.oid == NULL || attr.oid[0] < '0' || attr.oid[0] > '9') {
            abort();
        }
    }
    apr_pool_destroy(p);
    return 0;
}
