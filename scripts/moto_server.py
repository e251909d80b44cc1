"""moto's server, with its answers mended where AWS's SDKs refuse them.

scripts/moto-env.sh installs a launcher for this file; the tests and the
quick start run it exactly like `moto_server`. Each fix below names the
operation, what moto 5.2.5 answers and what S3 answers; nothing else changes.
"""

import sys

from moto.s3.responses import S3Response
from moto.server import main


def get_bucket_versioning(self):
    """GetBucketVersioning: moto's XML root is `GetBucketVersioningResponse`;
    S3's (and the SDK's) is `VersioningConfiguration`."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{inner}</VersioningConfiguration>'
    )
    return 200, {"Content-Type": "application/xml"}, body


S3Response.get_bucket_versioning = get_bucket_versioning

if __name__ == "__main__":
    sys.exit(main())
