import { Anchor, type AnchorProps } from '@mantine/core';
import { createLink } from '@tanstack/react-router';
import { type AnchorHTMLAttributes, forwardRef } from 'react';

const MantineAnchor = forwardRef<HTMLAnchorElement, AnchorProps & AnchorHTMLAttributes<HTMLAnchorElement>>(
  function MantineAnchor(props, ref) {
    return <Anchor ref={ref} {...props} />;
  },
);

/**
 * A Mantine Anchor that is a router link, with the router's typed `to` and `params`
 * (`<Anchor component={Link}>` loses the route types):
 *
 *     <AnchorLink to="/console/products/$productId" params={{ productId }}>…</AnchorLink>
 */
export const AnchorLink = createLink(MantineAnchor);
