/** Building the image with Packer (issue 4). */
export function ImagePanel() {
  return null;
}
